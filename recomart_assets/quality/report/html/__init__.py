"""The report as HTML: one self-contained page per partition (:mod:`.page`, charts from :mod:`.svg`)
and the index of every reported day (:mod:`.index`)."""
