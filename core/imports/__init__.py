"""The Excel import framework (issue: imports; first user staffing.imports.RosterSpec).

One spec class per ledger declares the sheet; the framework does the rest:

    from core.imports import BOOL, CHOICE, DATE, TEXT, Column, ImportSpec, Outcome, register

    @register
    class RosterSpec(ImportSpec):
        kind = "roster"                          # URL code: /portal/imports/roster/
        title = _("社区工作者花名册")
        sheet_name = _("花名册")
        perms = ("staffing.add_worker", "staffing.change_worker", ...)
        community_column = "community"           # optional 社区 column (street-wide imports)
        columns = (Column("name", _("姓名"), TEXT, required=True, max_length=50, ...), ...)
        rules = (("STAFF-8", _("...")),)         # listed on the template's 说明 sheet

        def natural_key(self, values): ...       # duplicates within one file
        def apply_row(self, ctx, row) -> Outcome:
            # match by natural key, save what differs through the app's service
            # (never .save()), return Outcome.NEW / UPDATED / UNCHANGED

Flow: `import_job_create` (permission, file checks, no job for a refused file) -> task
`core.tasks.import_validate` (dry run of every row, counts and errors) -> the user confirms
(`import_job_confirm`, once) -> task `core.tasks.import_apply` (one transaction, all or
nothing) ; `import_job_cancel` at any point before the end. Views: core.import_views (portal)
and core.admin.ImportAdminMixin (admin).

The sheet is read by core.imports.reader, streaming (values and formula flags in one pass,
flat memory). A spec of street size sets `bulk = True` and implements bulk_row /
bulk_check / bulk_apply instead of apply_row: core.imports.bulk then stages the derived
rows with COPY and checks and writes them set-based (communities.imports.ResidentSpec).
"""

from core.imports.files import FileRejected
from core.imports.jobs import (
    can_import,
    import_communities,
    import_job_cancel,
    import_job_confirm,
    import_job_create,
    import_job_get,
    import_job_list,
    require_import,
)
from core.imports.run import import_job_apply, import_job_validate
from core.imports.sheets import open_sheet
from core.imports.spec import (
    BOOL,
    CHOICE,
    DATE,
    DECIMAL,
    INT,
    TEXT,
    BulkCheck,
    CellError,
    Column,
    ImportContext,
    ImportSpec,
    Outcome,
    Row,
    RowError,
    all_specs,
    get_spec,
    register,
)
from core.imports.workbooks import error_report, ledger_workbook

__all__ = [
    "BOOL",
    "CHOICE",
    "DATE",
    "DECIMAL",
    "INT",
    "TEXT",
    "BulkCheck",
    "CellError",
    "Column",
    "FileRejected",
    "ImportContext",
    "ImportSpec",
    "Outcome",
    "Row",
    "RowError",
    "all_specs",
    "can_import",
    "error_report",
    "get_spec",
    "import_communities",
    "import_job_apply",
    "import_job_cancel",
    "import_job_confirm",
    "import_job_create",
    "import_job_get",
    "import_job_list",
    "import_job_validate",
    "ledger_workbook",
    "open_sheet",
    "register",
    "require_import",
]
