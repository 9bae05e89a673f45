"""Every error the platform raises on purpose, under one base class.

The CLI turns a :class:`RecomartError` into a one-line message and its ``exit_code`` (1, or 2 for
unusable configuration, like click's usage errors); anything else is a bug and keeps its traceback. Callers catch the narrowest class they can handle.
"""


class RecomartError(Exception):
    """Base of the platform's expected failures (bad input, unreachable service, refused action)."""

    exit_code = 1


class ConfigError(RecomartError, ValueError):
    """The configuration (environment, Kafka properties file) cannot be used."""

    exit_code = 2


class ServiceUnavailable(RecomartError):
    """A service the command needs (broker, API, Dagster UI) does not answer."""


class BrokerUnavailable(ServiceUnavailable):
    """No broker answers at the configured address and we may not start one."""


class ConsumerStartError(ServiceUnavailable):
    """The consumer cannot start: broker unreachable or topic missing."""


class KafkaLogDiscontinuity(RecomartError):
    """A Kafka log rewound or skipped past what the raw zone holds (a recreated topic, a lost log): never skipped silently."""


class ConsumerWriteError(RecomartError):
    """The consumer cannot write to the raw zone (a full disk, a read-only mount): nothing half-published, nothing committed past it."""


class UIError(ServiceUnavailable):
    """The Dagster UI answered with an error (GraphQL errors or an error type)."""


class CorruptFileError(RecomartError):
    """A data file does not match its manifest."""


class ScanError(RecomartError):
    """A scan of sound files could not finish: out of memory or disk, or an engine failure (never a defect
    of the files, which is a :class:`CorruptFileError`)."""


class UnsafeName(RecomartError, ValueError):
    """A landing file name that would resolve outside the landing folder."""


class IntakeError(RecomartError):
    """A landing file could not be taken in this pass (changed while read, re-derivation differs)."""


class LandingFilesWaiting(RecomartError):
    """A one-shot intake gave up waiting for files still being written: they are left for the next pass."""

    exit_code = 3  # not a failure of what was ingested, but a script must know something was left


class PartitionNotClosed(RecomartError):
    """The watermark has not passed the end of the day: events may still arrive."""


class MasterExportError(RecomartError):
    """A master export is missing or cannot be read as CSV."""


class PullError(RecomartError):
    """A REST pull gave up: names the request, the last status or error, and the attempts made."""

    def __init__(self, url: str, error: str, attempts: int):
        super().__init__(f"GET {url} failed after {attempts} attempt{'s' if attempts != 1 else ''}: {error}")
        self.url, self.error, self.attempts = url, error, attempts


class MetadataPullError(PullError):
    """The pull of the external metadata API gave up."""


class AcknowledgementError(RecomartError, ValueError):
    """An acknowledgement that cannot be recorded or read (unknown dataset, bad date, bad file)."""


class DemoFailed(RecomartError):
    """A step of the demo failed; the message says which."""


class LockUnsupported(RecomartError):
    """The raw zone's store cannot hold a lock (no conditional writes): the writer refuses to run unserialised."""


class LeaseLost(RecomartError):
    """A lease on object storage was taken over or ran out while held: another writer may have run beside this one."""
