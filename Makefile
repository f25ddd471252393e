# The course's entry points. On a fresh machine with Python 3 and make:
#   make course   set up, get MNIST, run every notebook into build/course/
#   make test     set up, get MNIST, run every test (unit, notebooks, browser)
#   make lab      set up, get MNIST, open JupyterLab on notebooks/
#   make student  write student versions into build/student/ (and build/solutions/)
#   make grade SUBMISSIONS=folder   grade submitted notebooks, each in a sandbox, into build/grades/ (sheets, feedback, summary)
#   make hub      the course on a local JupyterHub for a class (as root; hub/jupyterhub_config.py)
#   make hub-grade  collect the students' submissions from the hub, grade them, return the feedback
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

# In this repository's CI the MNIST files sit in ../shared/data/mnist beside the checkout.
SHARED_MNIST := $(abspath ../shared/data/mnist)
ifneq ($(wildcard $(SHARED_MNIST)/train-images-idx3-ubyte.gz),)
export BPCOURSE_DATA ?= $(SHARED_MNIST)
endif
# Headless plotting outside the notebooks; the notebooks use their inline backend.
export MPLBACKEND ?= Agg
# One BLAS thread: on a 2-core machine two OpenBLAS threads that compete with the
# Jupyter server, the browser or another kernel slow training down many times over
# (measured: an MNIST epoch took 49 s instead of 2 s). Override with
# `make lab OPENBLAS_NUM_THREADS=4` on a bigger machine.
export OPENBLAS_NUM_THREADS ?= 1
export OMP_NUM_THREADS ?= 1

.PHONY: setup data course test lab student grade browser-deps sandbox-deps hub-setup hub-deps hub-release hub hub-grade clean

# A new environment: a venv with uv in it (from PyPI). uv installs the course's packages: it downloads and
# unpacks them in parallel and compiles their bytecode on both cores (measured on 2 cores: 10 s, where pip took
# 29 s). If uv cannot be had or fails, pip does the same install.
define new_venv
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade uv || true
endef

EXTRAS := test,instructor,cluster
HUB_EXTRAS := $(EXTRAS),hub
# $(call install,extras): the course package, editable, with those extras; bytecode compiled, so that the
# sandboxed kernels (which cannot write into the venv) do not compile what they import at every start.
define install
	$(VENV)/bin/uv pip install --quiet --compile-bytecode --python $(PY) -e '.[$(1)]' \
	  || $(PY) -m pip install --quiet -e '.[$(1)]'
endef

$(VENV)/.installed: pyproject.toml
	$(new_venv)
	$(call install,$(EXTRAS))
	touch $@

setup: $(VENV)/.installed

# The hub's packages (the `hub` extra: JupyterHub, nbgrader, nbgitpuller, the idle culler), installed with the
# rest in one install (one resolution instead of two).
# nbgrader's JupyterLab and server extensions are switched off for this environment's plain JupyterLab
# (`make lab`): hub/plain_lab/ holds the files `jupyter labextension disable` and `jupyter server extension
# disable --sys-prefix` would write, copied in without starting six Jupyter processes. The hub's student
# servers switch on what they use (hub/singleuser/).
$(VENV)/.hub-installed: pyproject.toml $(wildcard hub/plain_lab/*/*.json)
	$(new_venv)
	$(call install,$(HUB_EXTRAS))
	mkdir -p $(VENV)/etc/jupyter
	cp -R hub/plain_lab/. $(VENV)/etc/jupyter/
	touch $(VENV)/.installed $@

hub-setup: $(VENV)/.hub-installed

# JupyterHub's proxy (configurable-http-proxy, from npm; Node.js from Debian if missing).
hub-deps:
	bash hub/install_proxy.sh

data: setup
	$(PY) -m bpcourse.core.data --store-in-cache

course: data
	$(PY) -m bpcourse.tools.course_runner notebooks build/course

browser-deps: setup
	bash tests/browser/install_chromium.sh

# bubblewrap sandboxes learners' code in `bpcourse grade` (installed with apt-get as root).
sandbox-deps:
	bash tests/install_bubblewrap.sh

# Two pytest workers per core (pytest-xdist): most tests wait on kernels, sandboxes and the browser.
# A test file goes to one worker (its fixtures are built once), except that each test running a whole
# notebook is scheduled on its own, the slowest first (tests/conftest.py). Measured on 2 cores: 2 workers
# 413 s, 4 workers 338 s, 6 workers 380 s (the CPU is then the limit); after the grader stopped at the last
# graded cell, 3 workers 340 s and 4 workers 345 s.
TEST_WORKERS ?= $(shell echo $$(( 2 * $$(nproc) )))
# hub-setup first: on a fresh machine its one install also does what `setup` would.
test: hub-setup data browser-deps sandbox-deps hub-deps
	$(PY) -m pytest tests notebooks --nbval-lax -n $(TEST_WORKERS) --dist loadfile

student: setup
	$(VENV)/bin/bpcourse student --source notebooks --out build

# make grade SUBMISSIONS=path/to/submitted   (one sub-folder per student)
# Extra options of `bpcourse grade` go in GRADE_FLAGS, e.g. GRADE_FLAGS="--cell-timeout 300".
grade: setup sandbox-deps
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=path/to/submitted [GRADE_FLAGS=...]" >&2; exit 2; }
	$(VENV)/bin/bpcourse grade "$(SUBMISSIONS)" --source notebooks --out build/grades $(GRADE_FLAGS)

# The course on JupyterHub (run as root: the hub makes an operating-system user per student).
# Students log in at http://127.0.0.1:8000 with a name from hub/students.txt and the password
# in the README; the course is pulled into their home. Ctrl-C stops the hub.
hub-release: hub-setup data
	$(PY) hub/course.py release

hub: hub-release hub-deps
	$(VENV)/bin/jupyterhub -f hub/jupyterhub_config.py

hub-grade: hub-setup sandbox-deps
	$(PY) hub/course.py grade $(GRADE_FLAGS)

# JupyterLab refuses to run as root unless told (containers, cloud machines).
LAB_ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

lab: data
	$(VENV)/bin/jupyter lab $(LAB_ROOT_FLAG) notebooks

clean:
	rm -rf build .pytest_cache
