"""Near-real-time replica: Pipedrive webhooks → durable journal → the replica (``pdsync listen``).

- :mod:`.receiver` answers Pipedrive's deliveries (Basic auth, size limit) once
  :mod:`.journal` has them on disk;
- :mod:`.applier` turns each journaled delivery into a row through the catalog and
  normalisation sync uses (:mod:`.payload`, :mod:`.replica`) and never lets an older
  version overwrite a newer one;
- :mod:`.catchup` runs the incremental sync on start, on a cadence and on a suspected
  gap; :mod:`.registration` keeps one webhook per object registered;
- :mod:`.service` ties them together; :mod:`.status` counts and measures lag.

See ``docs/listen.md``.
"""
