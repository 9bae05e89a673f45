"""The error tree: one base, the exit codes the CLI maps to, and the pull error's message."""

from __future__ import annotations

import inspect

import pytest

from recomart_assets import errors
from recomart_assets.errors import ConfigError, LandingFilesWaiting, MetadataPullError, PullError, RecomartError


def test_every_error_is_a_recomart_error_with_a_docstring():
    classes = [c for _, c in inspect.getmembers(errors, inspect.isclass) if c.__module__ == errors.__name__]
    assert len(classes) > 10
    for cls in classes:
        assert issubclass(cls, RecomartError), cls
        assert cls.__doc__, cls


@pytest.mark.parametrize(("cls", "code"), [(RecomartError, 1), (ConfigError, 2), (LandingFilesWaiting, 3),
                                           (errors.BrokerUnavailable, 1)])
def test_exit_codes(cls, code):
    assert cls.exit_code == code


def test_config_errors_are_value_errors_too():
    with pytest.raises(ValueError):
        raise ConfigError("bad")


@pytest.mark.parametrize(("attempts", "text"), [(1, "1 attempt:"), (3, "3 attempts:")])
def test_a_pull_error_names_the_request_the_error_and_the_attempts(attempts, text):
    error = MetadataPullError("http://api/x", "HTTP 503", attempts)
    assert isinstance(error, PullError)
    assert str(error) == f"GET http://api/x failed after {text} HTTP 503"
    assert (error.url, error.error, error.attempts) == ("http://api/x", "HTTP 503", attempts)
