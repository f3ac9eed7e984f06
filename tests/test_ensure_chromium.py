"""`make test` on a machine without Chromium installs it when it may, or stops with the one command to run."""

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "ensure-chromium"


def run(tmp_path, **env):
    return subprocess.run(
        ["bash", str(SCRIPT)],
        env={**os.environ, "CHROMIUM": str(tmp_path / "chromium"), **env},
        capture_output=True,
        text=True,
    )


def stub(tmp_path, name, body):
    path = tmp_path / name
    path.write_text("#!/usr/bin/env bash\n" + body)
    path.chmod(0o755)
    return str(path)


def install_when(word, tmp_path):
    """Shell lines of a stub that "installs" chromium when ``word`` is install."""
    return f"[ {word} = install ] && touch {tmp_path}/chromium && chmod +x {tmp_path}/chromium\nexit 0\n"


def test_nothing_happens_when_chromium_is_there(tmp_path):
    stub(tmp_path, "chromium", "exit 0\n")
    result = run(tmp_path, APT_GET="/bin/false")
    assert result.returncode == 0 and result.stderr == ""


def test_without_root_or_sudo_it_stops_with_exit_2_and_the_command_to_run(tmp_path):
    result = run(tmp_path, ENSURE_CHROMIUM_UID="1000", SUDO="/bin/false")
    assert result.returncode == 2
    assert "sudo apt-get install -y chromium" in result.stderr


def test_as_root_it_installs_debians_chromium(tmp_path):
    log = tmp_path / "apt.log"
    apt = stub(
        tmp_path,
        "apt-get",
        f"printf '%s\\n' \"$*\" >> {log}\n" + install_when('"$1"', tmp_path),
    )
    result = run(tmp_path, ENSURE_CHROMIUM_UID="0", APT_GET=apt)
    assert result.returncode == 0, result.stderr
    assert log.read_text().splitlines() == ["update -qq", "install -y -qq chromium"]


def test_with_passwordless_sudo_it_installs_through_sudo(tmp_path):
    log = tmp_path / "sudo.log"
    sudo = stub(
        tmp_path,
        "sudo",
        f"printf '%s\\n' \"$*\" >> {log}\n" + install_when('"$2"', tmp_path),
    )
    result = run(tmp_path, ENSURE_CHROMIUM_UID="1000", SUDO=sudo, APT_GET="apt-get")
    assert result.returncode == 0, result.stderr
    assert log.read_text().splitlines() == ["-n true", "apt-get update -qq", "apt-get install -y -qq chromium"]


def test_a_failed_install_stops_with_exit_2(tmp_path):
    apt = stub(tmp_path, "apt-get", "exit 100\n")
    result = run(tmp_path, ENSURE_CHROMIUM_UID="0", APT_GET=apt)
    assert result.returncode == 2 and "sudo apt-get install -y chromium" in result.stderr


def test_make_test_checks_chromium_before_running_pytest():
    dry = subprocess.run(["make", "-n", "test"], cwd=ROOT, capture_output=True, text=True).stdout.splitlines()
    check = next(i for i, line in enumerate(dry) if "ensure-chromium" in line)
    tests = next(i for i, line in enumerate(dry) if line.strip().endswith("pytest"))
    assert check < tests
