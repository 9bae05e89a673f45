"""The Data Quality Report: building it (:mod:`.build`), its findings as text (:mod:`.findings`)
and its PDF (:mod:`.pdf`, imported only by the runs that draw: matplotlib is slow to import)."""
