# Copyright (c) mmlt contributors. All rights reserved.
"""model-index.yml lists every method's metafile, and every model in a
metafile names a config that exists (the OpenMMLab model-index layout)."""
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]


def test_model_index_lists_every_metafile():
    index = yaml.safe_load((REPO / 'model-index.yml').read_text())
    listed = sorted(index['Import'])
    found = sorted(
        str(p.relative_to(REPO)) for p in REPO.glob('configs/*/metafile.yml'))
    assert listed == found


def test_metafile_configs_exist():
    for metafile in REPO.glob('configs/*/metafile.yml'):
        meta = yaml.safe_load(metafile.read_text())
        assert meta.get('Models'), f'{metafile} lists no model'
        for model in meta['Models']:
            config = REPO / model['Config']
            assert config.is_file(), f'{metafile}: {model["Config"]} missing'
