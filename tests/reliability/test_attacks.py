"""Manifest-borne attacks, as they would arrive in a pull request: a SpaceSet template that tries
to read files or run code, a `fromFile` secret escaping the repository, a source folder with a
symlink pointing outside it. Each is refused with a clear FILE:LINE:COL error, and nothing
outside the repository is read into a Space or the output."""

from __future__ import annotations

import contextlib
import os
import re
import stat
import time
from collections.abc import Callable
from pathlib import Path

import httpx2
import pytest
from huggingface_hub import HfApi

from reconciler.localhub import LocalHub
from reconciler.manifests import load_manifests
from reconciler.manifests.source import ListedFile, UploadGuard, UploadRefused
from tests.conftest import keep_secret
from tests.e2e.conftest import run_cli

POSITION = re.compile(r"^manifests/\S+\.yaml:\d+:\d+: error: ", re.MULTILINE)
OUTSIDE_SECRET = keep_secret("outside-the-repository-do-not-read")

SPACE = """\
apiVersion: spaces-reconciler/v1
kind: Space
metadata: {{namespace: local-org, name: attacked}}
spec:
  sdk: gradio
  source: {{path: ../app}}
{extra}"""

SPACESET = """\
apiVersion: spaces-reconciler/v1
kind: SpaceSet
metadata: {{name: attack}}
spec:
  generators:
    - list: [{{i: 1}}]
  template: |
    metadata:
      namespace: local-org
      name: "{name}"
    spec:
      sdk: gradio
      source: {{path: ../app}}
"""

TEMPLATE_ATTACKS = {
    "python internals": "x{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "globals of a builtin": "x{{ lipsum.__globals__['os'].popen('id').read() }}",
    "cycler globals": "x{{ cycler.__init__.__globals__.os.system('touch /tmp/pwned') }}",
    "include a file": "x{% include '/etc/passwd' %}",
    "import a file": "x{% import '../outside/secret.txt' as s %}",
    "format string": "x{{ '{0.__class__}'.format(i) }}",
    "huge range": "x{% for n in range(10**12) %}{% endfor %}",
}


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(OUTSIDE_SECRET)
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    (root / "app").mkdir()
    (root / "app" / "app.py").write_text("import gradio as gr\n")
    (root / "manifests").mkdir()
    monkeypatch.chdir(root)
    return root


def _validate(repo: Path, manifest: str) -> str:
    (repo / "manifests" / "m.yaml").write_text(manifest)
    result = run_cli("validate", "manifests")
    assert result.code == 1, result.output
    assert "Traceback" not in result.output
    assert OUTSIDE_SECRET not in result.output
    assert POSITION.search(result.output), result.output
    return result.output


@pytest.mark.parametrize("attack", sorted(TEMPLATE_ATTACKS))
def test_spaceset_template_cannot_read_files_or_run_code(repo: Path, attack: str) -> None:
    output = _validate(repo, SPACESET.format(name=TEMPLATE_ATTACKS[attack].replace('"', '\\"')))
    assert "template" in output.lower(), output
    assert not Path("/tmp/pwned").exists()


@pytest.mark.parametrize(
    "reference",
    # Relative to the manifest (manifests/m.yaml); the repository is the folder holding .git.
    ["../../outside/secret.txt", "/etc/passwd", "../app/../../outside/secret.txt", "../../../../../../etc/passwd"],
)
def test_secret_from_file_outside_the_repository_is_refused(repo: Path, reference: str) -> None:
    output = _validate(repo, SPACE.format(extra=f"  secrets: {{TOKEN: {{fromFile: {reference}}}}}\n"))
    assert "fromFile" in output or "outside" in output.lower(), output


def test_secret_from_file_through_a_symlink_leaving_the_repository_is_refused(repo: Path) -> None:
    (repo / "link.txt").symlink_to(repo.parent / "outside" / "secret.txt")
    output = _validate(repo, SPACE.format(extra="  secrets: {TOKEN: {fromFile: ../link.txt}}\n"))
    assert "outside" in output.lower(), output


@pytest.mark.parametrize("target", ["file", "folder"])
def test_source_symlink_pointing_outside_is_refused(repo: Path, target: str) -> None:
    outside = repo.parent / "outside"
    link = repo / "app" / "data"
    link.symlink_to(outside / "secret.txt" if target == "file" else outside)
    output = _validate(repo, SPACE.format(extra=""))
    assert "symlink" in output.lower() and "outside" in output.lower(), output


def test_source_path_escaping_the_repository_is_refused(repo: Path) -> None:
    manifest = SPACE.format(extra="").replace("path: ../app", "path: ../../outside")
    output = _validate(repo, manifest)
    assert "outside" in output.lower() or "repository" in output.lower(), output


def test_no_attack_left_anything_behind() -> None:
    assert not Path("/tmp/pwned").exists()
    assert os.environ.get("PWNED") is None


# ---------------------------------------------------------------- issue 11.1: secrets, .git, symlinks
FILE_SECRET = keep_secret("file-secret-Qm7-never-upload")  # not the canary: the canary may not sit in any file
GIT_TOKEN = "ghs_checkout-token-in-git-config"
ONE_SECRET = "  secrets: {TOKEN: {fromFile: ../secrets/token.txt}}\n"


@pytest.fixture
def secret_repo(repo: Path) -> Path:
    """The repository of `repo` with a git-ignored secret file and a .git holding a job token."""
    (repo / "secrets").mkdir()
    (repo / "secrets" / "token.txt").write_text(FILE_SECRET + "\n")
    (repo / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (repo / ".git" / "config").write_text(f'[http]\n\textraheader = "AUTHORIZATION: basic {GIT_TOKEN}"\n')
    return repo


def _refused(repo: Path, manifest: str, *needles: str) -> str:
    output = _validate(repo, manifest)
    for secret in (FILE_SECRET, GIT_TOKEN, str(repo)):
        assert secret not in output, output
    for needle in needles:
        assert needle in output, output
    return output


def test_symlink_to_a_secret_file_is_refused_naming_the_link(secret_repo: Path) -> None:
    (secret_repo / "app" / "notes.txt").symlink_to("../secrets/token.txt")
    output = _refused(secret_repo, SPACE.format(extra=ONE_SECRET), "notes.txt", "secret")
    assert "manifests/m.yaml:6:" in output  # at spec.source.path
    assert "secrets/token.txt" not in output.replace("fromFile: ../secrets/token.txt", "")


def test_source_folder_holding_another_manifests_secret_file_is_refused(secret_repo: Path) -> None:
    (secret_repo / "app" / "key.txt").write_text("another secret\n")
    other = SPACE.format(extra="  secrets: {KEY: {fromFile: ../app/key.txt}}\n").replace("attacked", "other")
    other = other.replace("path: ../app", "path: ../other")
    (secret_repo / "other").mkdir()
    (secret_repo / "other" / "app.py").write_text("import gradio as gr\n")
    (secret_repo / "manifests" / "a.yaml").write_text(other)
    output = _refused(secret_repo, SPACE.format(extra=""), "contains the file of the secret declared at")
    assert "another secret" not in output


def test_hard_link_to_a_secret_file_is_refused(secret_repo: Path) -> None:
    os.link(secret_repo / "secrets" / "token.txt", secret_repo / "app" / "copy.txt")
    _refused(secret_repo, SPACE.format(extra=ONE_SECRET), "copy.txt")


def test_source_path_at_the_repository_root_is_refused(secret_repo: Path) -> None:
    manifest = SPACE.format(extra=ONE_SECRET).replace("path: ../app", "path: ..")
    _refused(secret_repo, manifest, "repository root")


def test_source_path_inside_git_is_refused(secret_repo: Path) -> None:
    manifest = SPACE.format(extra="  card: {appFile: HEAD}\n").replace("path: ../app", "path: ../.git")
    _refused(secret_repo, manifest, ".git")


def test_symlink_into_git_is_refused(secret_repo: Path) -> None:
    (secret_repo / "app" / "config").symlink_to("../.git/config")
    _refused(secret_repo, SPACE.format(extra=""), "config is a symlink into the repository's .git")


def test_secret_from_file_inside_git_is_refused(secret_repo: Path) -> None:
    _refused(secret_repo, SPACE.format(extra="  secrets: {T: {fromFile: ../.git/config}}\n"), "fromFile", ".git")


def test_a_git_entry_in_a_source_folder_is_never_listed_even_when_re_included(secret_repo: Path) -> None:
    (secret_repo / "app" / ".git").write_text("gitdir: ../.git\n")  # a submodule's git file
    manifest = SPACE.format(extra="").replace("path: ../app", 'path: ../app, exclude: ["!.git", "!.git/"]')
    (secret_repo / "manifests" / "m.yaml").write_text(manifest)
    result = load_manifests([secret_repo / "manifests"])
    assert result.ok, result.diagnostics
    assert [f.path for f in result.spaces[0].files] == ["README.md", "app.py"]


def _listed_data(repo: Path) -> ListedFile:
    """app/data.txt ("public") as a load of the secret-declaring manifest lists it."""
    (repo / "app" / "data.txt").write_text("public\n")
    (repo / "manifests" / "m.yaml").write_text(SPACE.format(extra=ONE_SECRET))
    result = load_manifests([repo / "manifests"])
    assert result.ok, result.diagnostics
    data = next(f for f in result.spaces[0].files if f.path == "data.txt")
    assert isinstance(data, ListedFile)
    return data


def test_a_file_swapped_for_a_secret_link_after_validation_is_not_read(secret_repo: Path) -> None:
    data = _listed_data(secret_repo)
    assert data.read() == b"public\n"
    (secret_repo / "app" / "data.txt").unlink()
    (secret_repo / "app" / "data.txt").symlink_to("../secrets/token.txt")
    with pytest.raises(UploadRefused) as refused:
        data.read()
    assert FILE_SECRET not in str(refused.value)
    # Swapped for a hard link to the secret: same path, so only the file's identity tells.
    (secret_repo / "app" / "data.txt").unlink()
    os.link(secret_repo / "secrets" / "token.txt", secret_repo / "app" / "data.txt")
    with pytest.raises(UploadRefused):
        data.read()


def test_a_pinned_upload_reads_the_checked_file_whatever_the_path_becomes(secret_repo: Path) -> None:
    data = _listed_data(secret_repo)
    with contextlib.ExitStack() as pins:
        pinned = data.pinned(pins)
        assert isinstance(pinned, str)
        # The path handed to the client is neither the folder's file nor anything under it.
        assert Path(pinned).parent.parent == secret_repo / ".reconcile" / "uploads"
        assert stat.S_IMODE(os.stat(Path(pinned).parent).st_mode) == 0o700
        (secret_repo / "app" / "data.txt").unlink()
        (secret_repo / "app" / "data.txt").symlink_to("../secrets/token.txt")
        assert Path(pinned).read_bytes() == b"public\n"
    assert not Path(pinned).parent.exists()  # gone once the commit is done


def _swap_after_pinning(monkeypatch: pytest.MonkeyPatch, swap: Callable[[Path], None]) -> None:
    """The attacker wins the race at the worst moment: right after apply checked and pinned the file,
    before the client opens anything."""
    pin = UploadGuard.pin

    def pin_then_swap(guard: UploadGuard, file: ListedFile, stack: contextlib.ExitStack) -> str:
        pinned = pin(guard, file, stack)
        if file.path == "data.txt":
            assert file.local_path is not None
            swap(Path(file.local_path))
        return pinned

    monkeypatch.setattr(UploadGuard, "pin", pin_then_swap)


def test_a_file_swapped_for_a_secret_link_during_apply_is_not_published(
    secret_repo: Path, hub: LocalHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    (secret_repo / "app" / "data.txt").write_text("public\n")
    (secret_repo / "manifests" / "m.yaml").write_text(SPACE.format(extra=ONE_SECRET))

    def to_secret_link(path: Path) -> None:
        path.unlink()
        path.symlink_to("../secrets/token.txt")

    _swap_after_pinning(monkeypatch, to_secret_link)
    monkeypatch.setenv("RECONCILE_TEST_SECRET", "unused")
    result = run_cli("apply", "manifests", "--auto-approve", "--no-wait")
    assert FILE_SECRET not in result.output and "Traceback" not in result.output
    published = httpx2.get(f"{hub.endpoint}/spaces/local-org/attacked/resolve/main/data.txt")
    assert published.status_code == 200, (result.output, published.text)
    assert published.text == "public\n"


def test_a_file_edited_after_the_plan_fails_the_space_and_is_not_committed(
    secret_repo: Path, hub: LocalHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    (secret_repo / "app" / "data.txt").write_text("public\n")
    (secret_repo / "manifests" / "m.yaml").write_text(SPACE.format(extra=""))
    _swap_after_pinning(monkeypatch, lambda path: path.write_text("edited in place\n"))
    result = run_cli("apply", "manifests", "--auto-approve", "--no-wait")
    assert result.code == 1, result.output
    assert "data.txt changed on disk since the plan was made" in result.output
    assert "Traceback" not in result.output
    files = HfApi(endpoint=hub.endpoint, token=hub.token).list_repo_files("local-org/attacked", repo_type="space")
    assert "data.txt" not in files


def test_hard_link_to_git_config_is_refused_at_validate_and_at_upload(secret_repo: Path) -> None:
    os.link(secret_repo / ".git" / "config", secret_repo / "app" / "gitconfig.txt")
    _refused(secret_repo, SPACE.format(extra=""), "gitconfig.txt", ".git")
    (secret_repo / "app" / "gitconfig.txt").unlink()
    (secret_repo / "app" / "gitconfig.txt").write_text("harmless\n")
    result = load_manifests([secret_repo / "manifests"])
    assert result.ok, result.diagnostics
    listed = next(f for f in result.spaces[0].files if f.path == "gitconfig.txt")
    (secret_repo / "app" / "gitconfig.txt").unlink()
    os.link(secret_repo / ".git" / "config", secret_repo / "app" / "gitconfig.txt")
    with pytest.raises(UploadRefused) as refused:
        listed.read()
    assert GIT_TOKEN not in str(refused.value)


def test_apply_never_publishes_a_secret_file_through_a_symlink(secret_repo: Path, hub: LocalHub) -> None:
    (secret_repo / "app" / "notes.txt").symlink_to("../secrets/token.txt")
    (secret_repo / "manifests" / "m.yaml").write_text(SPACE.format(extra=ONE_SECRET))
    result = run_cli("apply", "manifests", "--auto-approve", "--no-wait")
    assert result.code == 1, result.output
    assert FILE_SECRET not in result.output and "Traceback" not in result.output
    anonymous = httpx2.get(f"{hub.endpoint}/spaces/local-org/attacked/resolve/main/notes.txt")
    assert anonymous.status_code in (401, 404), anonymous.text
    assert FILE_SECRET not in anonymous.text


# ---------------------------------------------------------------- issue 11.3 and 11.4: what apply and plan print
def test_apply_does_not_print_a_secret_files_path(secret_repo: Path, hub: LocalHub) -> None:
    manifest = SPACE.format(extra="  secrets: {TOKEN: {fromFile: ../secrets/absent.txt}}\n")
    (secret_repo / "manifests" / "m.yaml").write_text(manifest)
    result = run_cli("apply", "manifests", "--auto-approve", "--no-wait")
    assert result.code == 1, result.output
    assert "TOKEN (fromFile)" in result.output
    assert str(secret_repo) not in result.output and "absent.txt" not in result.output


def test_a_secret_value_that_is_not_utf8_exits_1_naming_the_secret(
    repo: Path, hub: LocalHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BROKEN_VALUE", "abc\udcff-xyz-value")  # the bytes b"abc\xff-xyz-value"
    (repo / "manifests" / "m.yaml").write_text(SPACE.format(extra="  secrets: {TOKEN: {fromEnv: BROKEN_VALUE}}\n"))
    for command in (("plan", "manifests"), ("apply", "manifests", "--auto-approve", "--no-wait")):
        result = run_cli(*command)
        assert result.code == 1, result.output
        assert "local-org/attacked secret TOKEN: the value of $BROKEN_VALUE is not valid UTF-8" in result.output
        assert "xyz-value" not in result.output and "Traceback" not in result.output


# ---------------------------------------------------------------- issue 11.11: a hostile Hub during import
HOSTILE_PATHS = [
    "../../x",
    "a/../../x",
    "/tmp/x",
    "a\\..\\..\\x",
    ".git/config",
    "sub/.GIT/hooks/post-checkout",
    "a//b",
    "./a",
    "C:/x",
    "a\nb",
]


def _hostile_space(hub: LocalHub, path: str) -> str:
    """A Space whose tree lists `path`. The local Hub refuses such paths on commit (as the Hub
    does), so the hostile server is simulated by writing the entry into its state directly."""
    space_id = "local-org/hostile"
    api = HfApi(endpoint=hub.endpoint, token=hub.token)
    api.create_repo(space_id, repo_type="space", space_sdk="gradio")
    api.upload_file(
        path_or_fileobj=b"import gradio as gr\n", path_in_repo="app.py", repo_id=space_id, repo_type="space"
    )
    repo = hub.store.get("space", space_id)
    assert repo is not None
    content = b"planted by a hostile Hub\n"
    repo.tree[path] = [hub.store.put_blob(content), len(content), repo.head]
    return space_id


@pytest.mark.parametrize("path", HOSTILE_PATHS, ids=repr)
def test_import_refuses_a_hostile_tree_path_and_leaves_nothing_behind(repo: Path, hub: LocalHub, path: str) -> None:
    space_id = _hostile_space(hub, path)
    before = sorted(p.relative_to(repo) for p in repo.rglob("*"))
    result = run_cli("import", space_id)
    assert result.code == 1, result.output
    assert "Traceback" not in result.output
    assert f"{space_id}: the Hub lists the file {path!r}" in result.output, result.output
    after = sorted(p.relative_to(repo) for p in repo.rglob("*"))
    assert [p for p in after if p not in before and ".reconcile" not in p.parts] == []  # not even a folder
    assert not Path("/tmp/x").exists() or Path("/tmp/x").read_bytes() != b"planted by a hostile Hub\n"


def test_import_into_a_folder_with_a_symlink_leading_out_is_refused(repo: Path, hub: LocalHub) -> None:
    space_id = _hostile_space(hub, "sub/x.py")
    target = repo / "manifests" / "apps" / "hostile"
    target.mkdir(parents=True)
    (target / "sub").symlink_to(repo.parent / "outside")
    result = run_cli("import", space_id, "--force")
    assert result.code == 1, result.output
    assert "through a symlink" in result.output
    assert not (repo.parent / "outside" / "x.py").exists()
    assert not (repo / "manifests" / "hostile.yaml").exists()


# ---------------------------------------------------------------- links to devices and FIFOs
# A pull request can commit a symlink; /dev/zero reads forever and a FIFO's open waits for a
# writer, and both report a size of 0. Each must end at once with exit 1, naming the file.


@pytest.mark.timeout(30)
def test_a_manifest_linked_out_of_the_repository_is_refused_unread(repo: Path) -> None:
    (repo / "manifests" / "zero.yaml").symlink_to("/dev/zero")
    result = run_cli("validate", "manifests")
    assert result.code == 1, result.output
    assert "manifests/zero.yaml:1:1: error: the manifest is a symlink to a path outside the repository" in result.output


@pytest.mark.timeout(30)
def test_a_fifo_manifest_or_ignore_file_does_not_hang(repo: Path) -> None:
    os.mkfifo(repo / "manifests" / "fifo.yaml")
    os.mkfifo(repo / ".reconcileignore")
    (repo / "manifests" / "m.yaml").write_text(SPACE.format(extra=""))
    result = run_cli("validate", "manifests")
    assert result.code == 1, result.output
    assert "manifests/fifo.yaml:1:1: error: cannot read manifest: not a regular file" in result.output
    assert "Traceback" not in result.output


@pytest.mark.timeout(30)
def test_a_project_file_linked_to_a_device_exits_1(repo: Path, hub: LocalHub) -> None:
    (repo / "reconcile.yaml").symlink_to("/dev/zero")
    (repo / "manifests" / "m.yaml").write_text(SPACE.format(extra=""))
    result = run_cli("plan", "manifests")
    assert result.code == 1, result.output
    assert "reconcile.yaml:1:1: error: cannot read the project file: not a regular file" in result.output


@pytest.mark.timeout(60)
def test_a_secret_file_that_is_a_fifo_exits_1_naming_the_secret(secret_repo: Path, hub: LocalHub) -> None:
    # (A link to /dev/zero is refused before: it points outside the repository.)
    os.mkfifo(secret_repo / "secrets" / "pipe")
    manifest = SPACE.format(extra="  secrets: {TOKEN: {fromFile: ../secrets/pipe}}\n")
    (secret_repo / "manifests" / "m.yaml").write_text(manifest)
    result = run_cli("apply", "manifests", "--auto-approve", "--no-wait")
    assert result.code == 1, result.output
    assert "local-org/attacked secret TOKEN: cannot read its fromFile: NotARegularFile" in result.output


def test_a_fingerprint_key_that_is_not_utf8_exits_1(repo: Path, hub: LocalHub, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECONCILE_FINGERPRINT_KEY", "key-\udcff-1234")
    (repo / "manifests" / "m.yaml").write_text(SPACE.format(extra="  secrets: {TOKEN: {fromEnv: SOME_TOKEN}}\n"))
    monkeypatch.setenv("SOME_TOKEN", "a-value-of-some-length")
    result = run_cli("plan", "manifests")
    assert result.code == 1, result.output
    assert "$RECONCILE_FINGERPRINT_KEY is not valid UTF-8 text" in result.output


# ---------------------------------------------------------------- what a pull request cannot fake: git-ignored files
def test_a_symlink_to_a_git_ignored_file_is_refused_whatever_the_manifests_declare(secret_repo: Path) -> None:
    # The manifest that declares the secret is hidden (.reconcileignore), or deleted by the pull
    # request: the link still leads where git keeps nothing, so it is refused.
    (secret_repo / ".gitignore").write_text("secrets/\n")
    (secret_repo / "app" / "notes.txt").symlink_to("../secrets/token.txt")
    output = _refused(secret_repo, SPACE.format(extra=""), "notes.txt is a symlink to a file git ignores")
    assert "token.txt" not in output


def test_the_redactor_masks_secret_files_git_ignores_and_not_files_a_pull_request_wrote(secret_repo: Path) -> None:
    from reconciler.ci.redact import Redactor

    (secret_repo / ".gitignore").write_text("secrets/\n")
    (secret_repo / "manifests" / "notes.txt").write_text("hardware\n")  # committed by the pull request
    extra = "  secrets: {TOKEN: {fromFile: ../secrets/token.txt}, NOTES: {fromFile: notes.txt}}\n"
    (secret_repo / "manifests" / "m.yaml").write_text(SPACE.format(extra=extra))
    result = load_manifests([secret_repo / "manifests"])
    assert result.ok, result.diagnostics
    redact = Redactor.for_spaces(result.spaces)
    assert redact(f"token {FILE_SECRET}") == "token ***"
    assert redact("set hardware a100-large") == "set hardware a100-large"


@pytest.mark.parametrize(
    "args",
    [
        ("plan", "--tagret", "x"),
        ("plan", "--format", "yaml"),
        ("plan", "--parallelism", "0"),
        ("apply", "--timeout", "abc"),
        ("apply", "--timeout", "-5m"),  # float() took these: a wait over before it starts, one never over
        ("apply", "--timeout", "nan"),
        ("apply", "--timeout", "inf"),
        ("apply", "--plan", "nope.json"),
    ],
)
def test_a_command_line_mistake_exits_1_not_2_which_means_changes(repo: Path, args: tuple[str, ...]) -> None:
    result = run_cli(*args)
    assert result.code == 1, result.output
    assert "Error:" in result.output and "Traceback" not in result.output


def test_pins_left_by_a_killed_run_are_removed_and_fresh_ones_kept(secret_repo: Path) -> None:
    uploads = secret_repo / ".reconcile" / "uploads"
    (uploads / "upload-old").mkdir(parents=True)
    (uploads / "upload-recent").mkdir()
    day_ago = time.time() - 2 * 24 * 3600
    os.utime(uploads / "upload-old", (day_ago, day_ago))
    (secret_repo / "manifests" / "m.yaml").write_text(SPACE.format(extra=""))
    result = load_manifests([secret_repo / "manifests"])
    with contextlib.ExitStack() as pins:
        next(f for f in result.spaces[0].files if f.path == "app.py").pinned(pins)
    assert sorted(p.name for p in uploads.iterdir()) == ["upload-recent"]


def test_a_secret_file_git_does_not_ignore_is_a_warning_and_an_ignored_one_is_not(secret_repo: Path) -> None:
    (secret_repo / "manifests" / "m.yaml").write_text(SPACE.format(extra=ONE_SECRET))
    tracked = run_cli("validate", "manifests")
    assert tracked.code == 0, tracked.output
    assert "manifests/m.yaml:7:" in tracked.output and "[secret-file-not-ignored]" in tracked.output
    (secret_repo / ".gitignore").write_text("secrets/\n")
    ignored = run_cli("validate", "manifests")
    assert ignored.code == 0 and "secret-file-not-ignored" not in ignored.output, ignored.output


def test_the_tools_own_folder_is_private_to_its_user(secret_repo: Path, hub: LocalHub) -> None:
    (secret_repo / ".reconcile").mkdir(mode=0o755, exist_ok=True)
    os.chmod(secret_repo / ".reconcile", 0o755)  # as an older version (or a umask of 022) left it
    (secret_repo / "manifests" / "m.yaml").write_text(SPACE.format(extra=""))
    result = run_cli("apply", "manifests", "--auto-approve", "--no-wait")
    assert result.code == 0, result.output
    assert stat.S_IMODE(os.stat(secret_repo / ".reconcile").st_mode) == 0o700


def test_files_the_repository_ignores_in_a_source_folder_are_named_before_they_are_uploaded(
    secret_repo: Path,
) -> None:
    (secret_repo / ".gitignore").write_text("secrets/\n.env\n")
    (secret_repo / "app" / ".env").write_text("API_KEY=local-only\n")
    (secret_repo / "manifests" / "m.yaml").write_text(SPACE.format(extra=""))
    result = run_cli("validate", "manifests")
    assert result.code == 0, result.output
    assert "1 file(s) of the source folder are ignored by the repository's git" in result.output
    assert ": .env" in result.output and "[files-outside-git]" in result.output
    assert "local-only" not in result.output


def test_a_crash_exits_3_with_a_log_only_its_user_can_read(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import reconciler.commands.validate as validate_command

    def bug(*_: object, **__: object) -> None:
        raise RuntimeError("a bug in the loader")

    monkeypatch.setattr(validate_command, "load_manifests", bug)
    result = run_cli("validate", "manifests")
    assert result.code == 3, result.output
    log = repo / ".reconcile" / "crash.log"
    assert "RuntimeError: a bug in the loader" in log.read_text()
    assert stat.S_IMODE(os.stat(log).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(log.parent).st_mode) == 0o700
