# mmlt: `make demo` and `make test` set everything up and run.
PY := .venv/bin/python
STAMP := .venv/.mmlt-installed
# `make demo` needs only the classification stack (mmcv-lite, no compiled ops,
# no mmdet); the full install satisfies it too.
LITE_STAMP := .venv/.mmlt-lite

# Python files to lint: all tracked ones but the configs that use mmengine's
# {{_base_.x}} substitution (not valid Python until mmengine expands it).
LINT_PY = $(shell git ls-files --cached --others --exclude-standard '*.py' | xargs grep -L '{{_base_')

.PHONY: install demo test lint format clean

$(STAMP): tools/install.sh setup.py requirements/*.txt
	bash tools/install.sh full
	touch $(STAMP) $(LITE_STAMP)

$(LITE_STAMP): tools/install.sh setup.py requirements/*.txt
	bash tools/install.sh lite
	touch $(LITE_STAMP)

install: $(STAMP)

demo: $(LITE_STAMP)
	$(PY) tools/demo.py

test: $(STAMP)
	$(PY) -m pytest tests -q

lint: $(STAMP)
	$(PY) -m pip install -q -r requirements/lint.txt
	$(PY) -m flake8 $(LINT_PY)
	$(PY) -m isort --check-only --diff $(LINT_PY)
	$(PY) -m yapf --diff $(LINT_PY)

format: $(STAMP)
	$(PY) -m pip install -q -r requirements/lint.txt
	$(PY) -m isort $(LINT_PY)
	$(PY) -m yapf -i $(LINT_PY)

clean:
	rm -rf work_dirs .pytest_cache
