"""The report as an A4 PDF: the pages (:mod:`.document`, :mod:`.what_changed`), the drawing helpers
they share (:mod:`.drawing`) and the drawing on two cores (:mod:`.pages`)."""
