"""import_plan / export_plan on the command line: exit status 0 on success, non-zero with the errors on stderr."""

from __future__ import annotations

import pytest
from django.core.management import ManagementUtility
from django.db import connections

from measures.models import Measure
from plans.models import ImportRun, Plan

from .import_workbooks import database_fingerprint, realistic_sheets, xlsx


def _run(*argv: str) -> int:
    """Run manage.py as the shell would (run_from_argv turns errors into the exit status); return the status."""
    try:
        ManagementUtility(["manage.py", *argv]).execute()
    except SystemExit as exit_:
        return exit_.code or 0
    return 0


@pytest.fixture(autouse=True)
def _keep_the_test_connection(monkeypatch):
    # run_from_argv closes every connection when it ends; the test still needs its transaction.
    monkeypatch.setattr(connections, "close_all", lambda: None)


@pytest.fixture
def workbook(tmp_path):
    path = tmp_path / "plan.xlsx"
    path.write_bytes(xlsx(realistic_sheets(50)))
    return path


def test_import_plan_exits_zero_and_imports(cast, workbook, capsys):
    assert (
        _run(
            "import_plan",
            str(workbook),
            "--plan",
            "dx",
            "--municipality",
            cast.city.code,
            "--user",
            cast.admin.username,
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "施策: 新規 50 / 変更 0 / 変更なし 0 / エラー 0" in out and "取り込みました" in out
    assert Measure.objects.filter(plan=cast.plan).count() == 51
    assert ImportRun.objects.get().user == cast.admin


def test_dry_run_exits_zero_and_writes_nothing(cast, workbook, capsys):
    before = database_fingerprint()
    assert _run("import_plan", str(workbook), "--plan", "dx", "--municipality", cast.city.code, "--dry-run") == 0
    assert "新規 50" in capsys.readouterr().out
    assert database_fingerprint() == before


def test_a_file_with_errors_exits_non_zero_with_the_errors_on_stderr(cast, tmp_path, capsys):
    sheets = realistic_sheets(50)
    sheets["施策"][4][5] = "存在しない課"
    sheets["マイルストーン"][6][4] = "来月末"
    path = tmp_path / "bad.xlsx"
    path.write_bytes(xlsx(sheets))
    before = database_fingerprint()
    assert _run("import_plan", str(path), "--plan", "dx", "--municipality", cast.city.code) == 1
    err = capsys.readouterr().err
    assert "シート「施策」 5行目 列「担当部署」 値「存在しない課」: 部署「存在しない課」が見つかりません" in err
    assert "シート「マイルストーン」 7行目 列「期限」 値「来月末」" in err
    assert "エラーが 2 件あるため、何も取り込んでいません" in err
    assert database_fingerprint() == before


def test_an_unknown_plan_exits_non_zero_unless_created(cast, workbook, capsys):
    assert _run("import_plan", str(workbook), "--plan", "new-plan") == 1
    assert "--create-plan" in capsys.readouterr().err
    assert (
        _run(
            "import_plan",
            str(workbook),
            "--plan",
            "new-plan",
            "--create-plan",
            "--title",
            "新しい計画",
            "--municipality",
            cast.city.code,
            "--start-fy",
            "2025",
        )
        == 0
    )
    plan = Plan.objects.get(code="new-plan")
    assert (plan.title, plan.start_fy, plan.end_fy, plan.measures.count()) == ("新しい計画", 2025, 2029, 50)


def test_a_failed_create_plan_leaves_no_plan_behind(cast, tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"not a workbook")
    assert (
        _run(
            "import_plan", str(path), "--plan", "p2", "--create-plan", "--title", "t", "--municipality", cast.city.code
        )
        == 1
    )
    assert not Plan.objects.filter(code="p2").exists()


def test_a_missing_file_exits_non_zero(cast, tmp_path, capsys):
    assert _run("import_plan", str(tmp_path / "nope.xlsx"), "--plan", "dx") == 1
    assert "ありません" in capsys.readouterr().err


def test_export_plan_writes_a_workbook_that_imports_as_no_change(cast, workbook, tmp_path, capsys):
    assert _run("import_plan", str(workbook), "--plan", "dx", "--municipality", cast.city.code) == 0
    out = tmp_path / "out.xlsx"
    assert _run("export_plan", "dx", str(out), "--municipality", cast.city.code) == 0
    assert out.read_bytes()[:2] == b"PK"
    capsys.readouterr()
    assert _run("import_plan", str(out), "--plan", "dx", "--municipality", cast.city.code, "--dry-run") == 0
    assert "施策: 新規 0 / 変更 0 / 変更なし 51" in capsys.readouterr().out


def test_export_plan_of_an_ambiguous_or_unknown_code_exits_non_zero(cast, tmp_path):
    assert _run("export_plan", "dx", str(tmp_path / "a.xlsx")) == 1  # two cities have plan "dx"
    assert _run("export_plan", "nope", str(tmp_path / "a.xlsx")) == 1
