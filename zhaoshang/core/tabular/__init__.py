"""Excel and CSV import and export, one module per job.

The engine knows no domain app.  Each app describes its sheet as a ``Resource`` (columns,
how rows match existing records, how its service writes them) and registers it by name with
``register_resource``; the views and the benchmark only name the resource.

- ``uploads``: checks on the raw bytes before anything parses them (empty, too large, not a
  workbook or CSV by magic bytes, an old .xls, macros, a zip bomb read from the directory).
- ``readers``: the first visible worksheet (python-calamine) or a CSV file (UTF-8 with or
  without BOM, UTF-16, GB18030/GBK as Chinese Excel saves it).
- ``kinds``: column kinds (text, money, whole number, date, yes/no, coded choice, lookup) and
  ``Column``; each kind parses a whole column, with a fast path for plain cells.
- ``engine``: ``Resource``, header matching and ``run_import``: every cell and row checked,
  every error collected with its row and column, then all or nothing.
- ``writing``: reserved ids, plain-row updates and lookups, the row builder, the change log
  of rows known only by id and text (used by the services' bulk writes).
- ``export``: the filtered list as .xlsx or CSV with the template's headers, formulas
  neutralised.
- ``template``: the empty workbook to fill in, with comments and drop-down lists.
- ``views``: the upload, preview and commit pages and the template download.
"""
