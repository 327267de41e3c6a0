# mmlt: `make demo` and `make test` set everything up and run.
PY := .venv/bin/python
STAMP := .venv/.mmlt-installed

.PHONY: install demo test lint clean

$(STAMP): tools/install.sh setup.py requirements/*.txt
	bash tools/install.sh
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(PY) tools/demo.py

test: $(STAMP)
	$(PY) -m pytest tests -q

clean:
	rm -rf work_dirs .pytest_cache
