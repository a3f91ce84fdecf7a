"""The reference Instagram API of the spec, built on graphfields.

- :mod:`.schema`: the API's types, bound to a store through the execution context
- :mod:`.store` (the interface) and :mod:`.sqlite_store` (SQLite, WAL, one file)
- :mod:`.dataset`: the JSON dataset format, its validation and atomic import
- :mod:`.loader` (the upstream interface) and :mod:`.synthetic` (a deterministic demo)
- :mod:`.service`: fetch a node with a field selection, freshness and background loads
- :mod:`.shortcode`: shortcode <-> media ID, and the time inside a media ID
- :mod:`.app`: the HTTP routes, the spec's envelope and error types, on top of the generic
  helpers of :mod:`graphfields.http`
"""
