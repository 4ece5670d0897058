"""The developer tooling and the production compose file (no database needed).

docker-compose.yml cannot be run here (no Docker), so these tests check that what it names
exists: modules, settings, the Celery app, manage.py, health checks and start-up ordering.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import shlex
import socket
import subprocess
from pathlib import Path

import polib
import pytest
import redis
import yaml

from tools import embedded, healthcheck, i18n_check, run

ROOT = Path(__file__).resolve().parent.parent
APP_SERVICES = ("web", "worker", "beat")


@pytest.fixture(scope="module")
def compose() -> dict:
    with open(ROOT / "docker-compose.yml", encoding="utf-8") as fh:
        return yaml.safe_load(fh)  # also expands the x-app anchor / merge keys


def command_words(service: dict) -> list[list[str]]:
    """Each shell command of a service, split into words (`sh -c "a && b"` gives two)."""
    command = service["command"]
    words = shlex.split(command) if isinstance(command, str) else list(command)
    if words[:2] == ["sh", "-c"]:
        return [shlex.split(part) for part in words[2].split("&&")]
    return [words]


def module_exists(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


def test_compose_has_the_five_services(compose):
    assert set(compose["services"]) == {"db", "redis", "web", "worker", "beat"}
    assert compose["services"]["db"]["image"] == "postgres:16"
    assert compose["services"]["redis"]["image"] == "redis:7"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_service_settings_module_exists(compose, name):
    env = compose["services"][name]["environment"]
    assert env["DJANGO_SETTINGS_MODULE"] == "config.settings.prod"
    assert module_exists(env["DJANGO_SETTINGS_MODULE"])


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_service_secret_key_is_required_without_default(compose, name):
    value = compose["services"][name]["environment"]["SECRET_KEY"]
    # ${VAR:?message} makes compose refuse to start when it is unset or empty.
    assert re.fullmatch(r"\$\{SECRET_KEY:\?[^}]*\}", value), value


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_service_urls_point_at_compose_services(compose, name):
    env = compose["services"][name]["environment"]
    db_env = compose["services"]["db"]["environment"]
    assert re.fullmatch(
        r"postgresql://shequ:\$\{POSTGRES_PASSWORD:\?[^}]*\}@db:5432/shequ", env["DATABASE_URL"]
    )
    assert db_env["POSTGRES_USER"] == "shequ" and db_env["POSTGRES_DB"] == "shequ"
    assert env["REDIS_URL"] == "redis://redis:6379/0"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_service_waits_for_healthy_db_and_redis(compose, name):
    depends = compose["services"][name]["depends_on"]
    for dependency in ("db", "redis"):
        assert depends[dependency]["condition"] == "service_healthy"


@pytest.mark.parametrize("name", ["db", "redis", "web"])
def test_service_has_healthcheck(compose, name):
    test = compose["services"][name]["healthcheck"]["test"]
    assert test[0] in ("CMD", "CMD-SHELL") and len(test) > 1


def test_web_healthcheck_runs_an_existing_module(compose):
    test = compose["services"]["web"]["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-m"]
    assert module_exists(test[3])


def test_web_migrates_and_collects_static_before_gunicorn(compose):
    commands = command_words(compose["services"]["web"])
    assert commands[0][:3] == ["python", "manage.py", "migrate"] and "--noinput" in commands[0]
    assert commands[1][:3] == ["python", "manage.py", "collectstatic"]
    assert "--noinput" in commands[1]
    gunicorn = commands[-1]
    assert gunicorn[:2] == ["exec", "gunicorn"]
    assert (ROOT / "manage.py").is_file()
    assert module_exists("gunicorn")


def test_gunicorn_target_exists(compose):
    gunicorn = command_words(compose["services"]["web"])[-1]
    module, _, attribute = gunicorn[2].partition(":")
    assert (module, attribute) == ("config.wsgi", "application")
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.origin
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    assigned = {
        target.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    assert attribute in assigned


@pytest.mark.parametrize("name, subcommand", [("worker", "worker"), ("beat", "beat")])
def test_celery_services_name_the_project_app(compose, name, subcommand):
    from celery import Celery
    from celery.app.utils import find_app

    [words] = command_words(compose["services"][name])
    assert words[:2] == ["celery", "-A"]
    assert words[3] == subcommand
    # Resolve -A exactly as the celery command line does.
    assert isinstance(find_app(words[2]), Celery)
    assert module_exists("config.celery")


def test_beat_schedule_file_is_writable_in_container(compose):
    [words] = command_words(compose["services"]["beat"])
    assert words[words.index("--schedule") + 1].startswith("/tmp/")


def test_every_required_compose_variable_is_documented_in_env_example(compose):
    text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    required = set(re.findall(r"\$\{(\w+):\?", text))
    assert {"SECRET_KEY", "POSTGRES_PASSWORD"} <= required
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    documented = set(re.findall(r"^(\w+)=", example, flags=re.MULTILINE))
    assert required <= documented


def test_dockerfile_builds_from_python_311_slim_and_installs_the_project():
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11-slim\b", dockerfile, flags=re.MULTILINE)
    assert "RUN pip install ." in dockerfile
    assert re.search(r"^USER \w+", dockerfile, flags=re.MULTILINE), "run unprivileged"


def test_dockerignore_keeps_secrets_and_local_state_out():
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    for entry in (".env", ".venv", ".data", ".git"):
        assert entry in ignored


@pytest.mark.parametrize("path", ["run.sh", "test.sh", ".ci/run"])
def test_entry_scripts_are_executable(path):
    assert os.access(ROOT / path, os.X_OK)


@pytest.mark.parametrize(
    "allowed, expected",
    [
        ("", "localhost"),
        ("*", "localhost"),
        ("shequ.example.org,www.example.org", "shequ.example.org"),
        (" .example.org", "example.org"),
        ("*,admin.example.org", "admin.example.org"),
    ],
)
def test_healthcheck_sends_an_allowed_host(allowed, expected):
    assert healthcheck.probe_host(allowed) == expected


def test_embedded_redis_starts_answers_and_stops(tmp_path):
    server = embedded.start_redis(tmp_path / "redis", persistent=False)
    try:
        assert server.url.startswith("redis://127.0.0.1:")
        client = redis.Redis.from_url(server.url)
        assert client.ping()
        client.set("shequ:probe", "ok")
        assert client.get("shequ:probe") == b"ok"
        assert client.config_get("appendonly")["appendonly"] == "no"
        client.close()
    finally:
        server.stop()
    assert server.process.poll() is not None, "redis-server still running"
    assert not embedded.redis_ping(server.port)
    assert not server.pidfile.exists()


def test_embedded_services_use_urls_from_environment_without_starting_anything(tmp_path):
    env = {"DATABASE_URL": "postgresql://u:p@db.invalid/x", "REDIS_URL": "redis://r.invalid/0"}
    with embedded.start_services(tmp_path, persistent=False, env=env) as services:
        assert services.database_url == env["DATABASE_URL"]
        assert services.redis_url == env["REDIS_URL"]
    assert list(tmp_path.iterdir()) == []


def test_run_picks_the_next_port_when_the_requested_one_is_taken():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        assert run.pick_port(taken) > taken


# ---------------------------------------------------------------- translation check


def write_catalogue(root: Path, entries: list[polib.POEntry], *, compile_mo: bool = True) -> Path:
    po = polib.POFile(wrapwidth=0)
    po.metadata = {"Content-Type": "text/plain; charset=UTF-8"}
    for entry in entries:
        po.append(entry)
    directory = root / "locale" / "en" / "LC_MESSAGES"
    directory.mkdir(parents=True)
    po.save(str(directory / "django.po"))
    if compile_mo:
        po.save_as_mofile(str(directory / "django.mo"))
    return directory / "django.po"


def test_i18n_check_passes_complete_catalogue(tmp_path):
    write_catalogue(
        tmp_path,
        [
            polib.POEntry(msgid="社区", msgstr="Community"),
            polib.POEntry(
                msgid="%(limit)s元以上的支出不得使用现金",
                msgstr="Expenses over %(limit)s yuan may not be paid in cash",
                flags=["python-format"],
            ),
        ],
    )
    assert i18n_check.main([str(tmp_path)]) == 0


def test_i18n_check_without_locale_dir_warns_and_passes(tmp_path, capsys):
    assert i18n_check.main([str(tmp_path)]) == 0
    assert "warning" in capsys.readouterr().out


@pytest.mark.parametrize(
    "entry, problem",
    [
        (polib.POEntry(msgid="网格", msgstr=""), "untranslated"),
        (polib.POEntry(msgid="街道", msgstr="Street", flags=["fuzzy"]), "fuzzy"),
        (
            polib.POEntry(
                msgid="共 %(n)s 户", msgstr="%(num)s households", flags=["python-format"]
            ),
            "placeholders differ",
        ),
    ],
)
def test_i18n_check_rejects_incomplete_entries(tmp_path, entry, problem):
    po_path = write_catalogue(tmp_path, [polib.POEntry(msgid="社区", msgstr="Community"), entry])
    problems, _ = i18n_check.check_catalogue(po_path)
    assert any(problem in p for p in problems), problems
    assert i18n_check.main([str(tmp_path)]) == 1


def test_i18n_check_rejects_stale_mo(tmp_path):
    po_path = write_catalogue(tmp_path, [polib.POEntry(msgid="社区", msgstr="Community")])
    po = polib.pofile(str(po_path))
    po[0].msgstr = "Neighbourhood"
    po.save()
    problems, _ = i18n_check.check_catalogue(po_path)
    assert any("out of date" in p for p in problems), problems


def test_i18n_check_rejects_missing_mo(tmp_path):
    po_path = write_catalogue(
        tmp_path, [polib.POEntry(msgid="社区", msgstr="Community")], compile_mo=False
    )
    problems, _ = i18n_check.check_catalogue(po_path)
    assert any("missing" in p for p in problems), problems


def _tiny_project(root: Path, source: str) -> None:
    """A git checkout of a minimal Django project whose one module marks `source`."""
    (root / "manage.py").write_text(
        "import os, sys\n"
        "os.environ['DJANGO_SETTINGS_MODULE'] = 'tinysettings'\n"
        "from django.core.management import execute_from_command_line\n"
        "execute_from_command_line(sys.argv)\n"
    )
    (root / "tinysettings.py").write_text(
        "SECRET_KEY = 'x'\nUSE_I18N = True\nINSTALLED_APPS = []\n"
        "from pathlib import Path\nLOCALE_PATHS = [Path(__file__).parent / 'locale']\n"
    )
    (root / "strings.py").write_text(
        f"from django.utils.translation import gettext as _\nTEXT = _({source!r})\n"
    )
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True)


def test_i18n_check_rejects_strings_missing_from_the_catalogue(tmp_path, capsys):
    write_catalogue(tmp_path, [polib.POEntry(msgid="社区", msgstr="Community")])
    _tiny_project(tmp_path, "新的界面文字")
    assert i18n_check.main([str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "not in the catalogue: '新的界面文字' (strings.py)" in out
    assert "'社区'" not in out  # in the catalogue (even if no longer used): not reported


def test_i18n_check_accepts_code_whose_strings_are_all_translated(tmp_path):
    write_catalogue(tmp_path, [polib.POEntry(msgid="新的界面文字", msgstr="New UI text")])
    _tiny_project(tmp_path, "新的界面文字")
    assert i18n_check.main([str(tmp_path)]) == 0
