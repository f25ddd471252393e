"""The course on Zero to JupyterHub (hub/z2jh/) and its image (binder/), checked offline.

No cluster, no Docker, no network: the YAML parses and holds the class's settings
(the same hand-out, limits and culling as the single-machine hub), and the image
definition names only packages that environment.yml and pyproject.toml already name.
"""

import os
import re
import shlex
import shutil
import subprocess
import tomllib
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
VALUES = ROOT / "hub" / "z2jh" / "values.yaml"
BINDER = ROOT / "binder"
POST_BUILD = BINDER / "postBuild"
HAND_OUT_TARGET = "bpcourse"  # the folder in each student's home (hub/jupyterhub_config.py)
EXCHANGE = "/srv/nbgrader/exchange"  # nbgrader's exchange (hub/singleuser/nbgrader_config.py)
GiB = 1 << 30


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------
def normalise(name):
    """PEP 503 names: 'Jupyter_Server.MathJax' and 'jupyter-server-mathjax' are one package."""
    return re.sub(r"[-_.]+", "-", name).lower()


def package_name(requirement):
    """'numpy>=2.4' -> 'numpy', 'python=3.11' -> 'python', 'pkg[extra]>=1' -> 'pkg'."""
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9_.\-]*)", requirement)
    assert match, f"cannot parse requirement {requirement!r}"
    return normalise(match.group(1))


def is_local(requirement):
    """`-e .`, `.`, `./sub`, `.[extra]`: the repository itself, not a package from an index."""
    target = re.sub(r"^(-e|--editable)\s+", "", requirement.strip())
    return target.startswith(".") or target.startswith("/") or target.startswith("file:")


def environment(path):
    """(package names, local installs) of a conda environment file."""
    data = yaml.safe_load(path.read_text())
    names, local = set(), []
    for entry in data["dependencies"]:
        for requirement in entry["pip"] if isinstance(entry, dict) else [entry]:
            if is_local(requirement):
                local.append(requirement)
            else:
                names.add(package_name(requirement))
    return names, local


def pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def memory_bytes(size):
    """A memory size as JupyterHub and KubeSpawner read it: bytes, or a number with K, M, G or T (powers of 1024)."""
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([KMGT]?)", str(size).strip())
    if not match:
        raise ValueError(f"not a JupyterHub memory size: {size!r} (use e.g. 2G; Kubernetes' 2Gi is not accepted)")
    number, unit = match.groups()
    return int(float(number) * {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}[unit])


ALLOWED_PIP_FLAGS = {"--no-cache-dir", "--no-deps", "--no-build-isolation", "-q", "--quiet", "-v", "--verbose",
                     "-U", "--upgrade"}
SHELL_OPERATORS = {"&&", "||", ";", "|", "&"}


def pip_installs(script):
    """Every `pip install` in a shell script: a list of (line, targets), targets as written."""
    joined = re.sub(r"\\\n", " ", script)
    found = []
    for line in joined.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        tokens = shlex.split(line, comments=True)
        for i, token in enumerate(tokens[:-1]):
            if os.path.basename(token) in ("pip", "pip3") and tokens[i + 1] == "install":
                targets, rest = [], iter(tokens[i + 2:])
                for arg in rest:
                    if arg in SHELL_OPERATORS:
                        break
                    if arg in ("-e", "--editable"):
                        targets.append(next(rest, ""))
                    elif arg.startswith("-"):
                        if arg not in ALLOWED_PIP_FLAGS:
                            targets.append(arg)  # -r FILE, --index-url ...: reported as not the project
                    else:
                        targets.append(arg)
                found.append((line, targets))
    return found


def wrong_pip_targets(script, extras):
    """What the script's `pip install` lines name besides the project itself with extras from ``extras``."""
    wrong = []
    for line, targets in pip_installs(script):
        if not targets:
            wrong.append(f"{line!r} installs nothing")
        for target in targets:
            match = re.fullmatch(r"\.(?:\[([^\]]*)\])?", target)
            if not match:
                wrong.append(f"{line!r} installs {target!r}, not the project (`.` or `-e .`)")
                continue
            for extra in filter(None, (e.strip() for e in (match.group(1) or "").split(","))):
                if normalise(extra) not in {normalise(e) for e in extras}:
                    wrong.append(f"{line!r} asks for the extra {extra!r}, which pyproject.toml does not define")
    return wrong


@pytest.fixture(scope="module")
def values():
    return yaml.safe_load(VALUES.read_text())


def post_start_args(values):
    """The arguments of the gitpuller call in singleuser.lifecycleHooks.postStart."""
    command = values["singleuser"]["lifecycleHooks"]["postStart"]["exec"]["command"]
    assert isinstance(command, list) and all(isinstance(part, str) for part in command), command
    if os.path.basename(command[0]) in ("sh", "bash") and command[1] == "-c":
        tokens = shlex.split(command[2])
    else:
        tokens = command
    names = [os.path.basename(token) for token in tokens]
    assert "gitpuller" in names, f"the postStart hook does not run nbgitpuller's gitpuller: {command}"
    args = []
    for token in tokens[names.index("gitpuller") + 1:]:
        if token in SHELL_OPERATORS or token.startswith(">") or token.startswith("-"):
            break
        args.append(token)
    return args


# ---------------------------------------------------------------------------
# hub/z2jh/values.yaml
# ---------------------------------------------------------------------------
def test_memory_sizes_are_read_as_jupyterhub_reads_them():
    assert memory_bytes("2G") == 2 * GiB
    assert memory_bytes("512M") == GiB // 2
    assert memory_bytes(1073741824) == GiB
    for wrong in ("2Gi", "2 GB", "two"):
        with pytest.raises(ValueError):
            memory_bytes(wrong)


def test_values_set_the_memory_and_cpu_limits(values):
    singleuser = values["singleuser"]
    limit = memory_bytes(singleuser["memory"]["limit"])
    guarantee = memory_bytes(singleuser["memory"]["guarantee"])
    assert limit >= GiB, f"a student server needs at least 1 GiB, got {singleuser['memory']['limit']!r}"
    assert limit == 2 * GiB
    assert 0 < guarantee <= limit
    cpu = singleuser["cpu"]["limit"]
    assert isinstance(cpu, (int, float)) and not isinstance(cpu, bool), "the chart wants a number for cpu.limit"
    assert cpu == 1


def test_values_cull_idle_servers(values):
    cull = values["cull"]
    assert cull["enabled"] is True
    assert isinstance(cull["timeout"], int) and cull["timeout"] > 0
    assert isinstance(cull["every"], int) and 0 < cull["every"] < cull["timeout"]
    assert (cull["timeout"], cull["every"]) == (3600, 300)


def test_values_hand_out_the_course_with_nbgitpuller(values):
    args = post_start_args(values)
    assert len(args) == 3, f"gitpuller REPOSITORY BRANCH TARGET, got {args}"
    repository, branch, target = args
    assert urlsplit(repository).scheme == "https", f"the pods pull the hand-out over https: {repository!r}"
    assert branch == "main"
    assert target == HAND_OUT_TARGET
    assert values["singleuser"]["defaultUrl"] == f"/lab/tree/{HAND_OUT_TARGET}"


def test_the_git_pull_link_in_the_comments_pulls_the_same_repository(values):
    """The commented alternative (a /git-pull defaultUrl) must agree with the postStart hook."""
    links = re.findall(r"^\s*#\s*defaultUrl:\s*\"?(/git-pull\?[^\"\s]+)", VALUES.read_text(), re.MULTILINE)
    assert len(links) == 1, f"one commented /git-pull defaultUrl expected, found {links}"
    query = parse_qs(urlsplit(links[0]).query)
    repository, branch, target = post_start_args(values)
    assert query["repo"] == [repository]
    assert query["branch"] == [branch]
    assert query["targetpath"] == [target]
    assert query["urlpath"][0].startswith(f"lab/tree/{target}")


def test_the_image_is_named_with_a_fixed_tag(values):
    image = values["singleuser"]["image"]
    assert isinstance(image["name"], str) and "/" in image["name"]
    assert isinstance(image["tag"], str), "quote the tag: YAML reads 2026.1 as a number"
    assert image["tag"] not in ("", "latest")


def test_values_name_an_authenticator_and_its_alternatives(values):
    config = values["hub"]["config"]
    assert config["JupyterHub"]["authenticator_class"]
    if config["JupyterHub"]["authenticator_class"] == "shared-password":
        # SharedPasswordAuthenticator refuses a password shorter than 8 characters.
        assert len(config["SharedPasswordAuthenticator"]["user_password"]) >= 8
        assert "CHANGE-ME" in config["SharedPasswordAuthenticator"]["user_password"], "a placeholder, not a password"
    allowed = config["Authenticator"]["allowed_users"]
    assert isinstance(allowed, list) and allowed
    text = VALUES.read_text()
    for alternative in ("GitHubOAuthenticator", "LTI13Authenticator"):
        assert re.search(rf"^\s*#.*{alternative}", text, re.MULTILINE), f"no commented {alternative} example"


def test_the_students_settings_are_where_postbuild_copies_them(values):
    env = values["singleuser"]["extraEnv"]
    config_path = env["JUPYTER_CONFIG_PATH"]
    # repo2docker's notebook environment (NB_PYTHON_PREFIX) is /srv/conda/envs/notebook.
    assert config_path == "/srv/conda/envs/notebook/share/bpcourse/singleuser"
    script = POST_BUILD.read_text()
    assert "share/bpcourse/singleuser" in script and "hub/singleuser" in script
    assert (ROOT / "hub" / "singleuser" / "nbgrader_config.py").is_file()
    assert env["BPCOURSE_EXCHANGE"] == EXCHANGE
    assert all(isinstance(value, str) for value in env.values()), "Kubernetes wants every variable as a string"


def test_the_commented_exchange_volume_is_valid_and_mounted_where_nbgrader_looks(values):
    """Uncommenting the exchange volume in values.yaml gives valid settings that mount it at the exchange."""
    lines = VALUES.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if re.match(r"\s*#\s*extraVolumes:", line))
    block = []
    for line in lines[start:]:
        match = re.match(r"(\s*)# ?(.*)", line)
        if not match or not match.group(2).strip():
            break
        block.append(match.group(1) + match.group(2))
    storage = yaml.safe_load("\n".join(block))
    volumes = {v["name"]: v for v in storage["extraVolumes"]}
    mounts = {m["name"]: m for m in storage["extraVolumeMounts"]}
    assert volumes.keys() == mounts.keys() and volumes
    (name,) = volumes
    assert volumes[name]["persistentVolumeClaim"]["claimName"]
    assert mounts[name]["mountPath"] == EXCHANGE == values["singleuser"]["extraEnv"]["BPCOURSE_EXCHANGE"]
    assert EXCHANGE in (ROOT / "hub" / "singleuser" / "nbgrader_config.py").read_text()
    assert "storage" in values["singleuser"], "the volume belongs under singleuser.storage"


def test_the_same_limits_and_culling_as_the_single_machine_hub(values):
    config = (ROOT / "hub" / "jupyterhub_config.py").read_text()
    found = {
        "memory": re.search(r'"BPCOURSE_HUB_MEMORY",\s*"([^"]+)"', config),
        "idle timeout": re.search(r'"BPCOURSE_HUB_IDLE_TIMEOUT",\s*"(\d+)"', config),
        # the culler looks every min(300, timeout / 2) seconds
        "cull every": re.search(r"CULL_EVERY = min\((\d+), max\(1, IDLE_TIMEOUT // 2\)\)", config),
        "hand-out target": re.search(r'"targetpath":\s*"([^"]+)"', config),
    }
    missing = [what for what, match in found.items() if match is None]
    assert not missing, f"hub/jupyterhub_config.py no longer shows its {missing} where this test looks"
    assert memory_bytes(found["memory"].group(1)) == memory_bytes(values["singleuser"]["memory"]["limit"])
    assert int(found["idle timeout"].group(1)) == values["cull"]["timeout"]
    timeout = int(found["idle timeout"].group(1))
    assert min(int(found["cull every"].group(1)), max(1, timeout // 2)) == values["cull"]["every"]
    assert found["hand-out target"].group(1) == post_start_args(values)[2]


# ---------------------------------------------------------------------------
# binder/: the image definition
# ---------------------------------------------------------------------------
def test_binder_environment_names_only_packages_from_environment_yml():
    binder_names, binder_local = environment(BINDER / "environment.yml")
    root_names, _ = environment(ROOT / "environment.yml")
    assert binder_local == [], f"binder/environment.yml must not install the repository ({binder_local}): postBuild does"
    assert binder_names, "binder/environment.yml names no packages"
    assert binder_names <= root_names, f"not in environment.yml: {sorted(binder_names - root_names)}"
    root = yaml.safe_load((ROOT / "environment.yml").read_text())
    binder = yaml.safe_load((BINDER / "environment.yml").read_text())
    assert binder["channels"] == root["channels"]


def test_binder_environment_pins_one_python_for_repo2docker():
    """repo2docker picks its base image from `python=X.Y` only; `python>=3.10` would be ignored."""
    dependencies = yaml.safe_load((BINDER / "environment.yml").read_text())["dependencies"]
    pythons = [d for d in dependencies if isinstance(d, str) and package_name(d) == "python"]
    assert len(pythons) == 1 and re.fullmatch(r"python=3\.\d+", pythons[0].replace(" ", "")), pythons
    minimum = tuple(int(p) for p in re.search(r"(\d+)\.(\d+)", pyproject()["requires-python"]).groups())
    assert tuple(int(p) for p in pythons[0].split("=")[1].split(".")) >= minimum


def test_the_image_gets_every_package_environment_yml_names():
    """What binder/environment.yml leaves out, postBuild's `pip install .[extras]` must bring."""
    binder_names, _ = environment(BINDER / "environment.yml")
    root_names, _ = environment(ROOT / "environment.yml")
    project = pyproject()
    installed = set(project["dependencies"])
    for _, targets in pip_installs(POST_BUILD.read_text()):
        for target in targets:
            match = re.fullmatch(r"\.(?:\[([^\]]*)\])?", target)
            for extra in filter(None, (e.strip() for e in ((match and match.group(1)) or "").split(","))):
                installed |= set(project["optional-dependencies"].get(extra, []))
    missing = root_names - binder_names - {package_name(r) for r in installed}
    assert not missing, f"the image lacks {sorted(missing)}"


def test_post_build_is_an_executable_strict_bash_script():
    assert POST_BUILD.stat().st_mode & 0o111, "chmod +x binder/postBuild (repo2docker runs it directly)"
    lines = POST_BUILD.read_text().splitlines()
    assert lines[0] in ("#!/bin/bash", "#!/usr/bin/env bash"), lines[0]
    commands = [line.strip() for line in lines[1:] if line.strip() and not line.strip().startswith("#")]
    assert commands[0] == "set -euo pipefail", "the first command must stop the build on any error"
    if shutil.which("bash"):
        check = subprocess.run(["bash", "-n", str(POST_BUILD)], capture_output=True, text=True)
        assert check.returncode == 0, f"binder/postBuild is not valid bash: {check.stderr}"


def test_the_pip_install_checker_can_fail():
    extras = ["hub", "instructor"]
    assert wrong_pip_targets("python -m pip install --no-cache-dir '.[hub]'\n", extras) == []
    assert wrong_pip_targets("pip install -e '.[hub,instructor]'\n", extras) == []
    assert wrong_pip_targets("pip install numpy\n", extras)
    assert wrong_pip_targets("pip install -r requirements.txt\n", extras)
    assert wrong_pip_targets("pip install -e '.[nope]'\n", extras)
    assert wrong_pip_targets("pip install . && pip install \\\n  nbgrader\n", extras)


def test_post_build_installs_only_the_project_with_its_own_extras():
    script = POST_BUILD.read_text()
    extras = pyproject()["optional-dependencies"]
    assert pip_installs(script), "postBuild must install the course (`pip install '.[hub]'`)"
    assert wrong_pip_targets(script, extras) == []
    installs = [target for _, targets in pip_installs(script) for target in targets]
    assert any("hub" in target for target in installs), "the image needs the `hub` extra (jupyterhub-singleuser)"
    others = re.findall(r"^\s*[^#\n]*\b(conda|mamba|micromamba|apt-get|apt|npm)\s+install\b", script, re.MULTILINE)
    assert others == [], f"postBuild installs with {others}: name the packages in binder/environment.yml instead"
    assert "store-in-cache" not in script and "bpcourse.core.data" not in script, "no MNIST download at build time"


def test_the_hub_extra_names_what_a_student_server_needs():
    hub = {package_name(r) for r in pyproject()["optional-dependencies"]["hub"]}
    assert {"jupyterhub", "nbgrader", "nbgitpuller"} <= hub
