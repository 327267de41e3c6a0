# Copyright (c) mmlt contributors. All rights reserved.
import os.path as osp
from setuptools import find_packages, setup


def readme():
    with open('README.md', encoding='utf-8') as f:
        return f.read()


def get_version():
    scope = {}
    with open(osp.join('mmlt', 'version.py')) as f:
        exec(compile(f.read(), 'mmlt/version.py', 'exec'), scope)
    return scope['__version__']


def parse_requirements(fname):
    """Requirement lines of ``requirements/<fname>``, comments dropped."""
    with open(osp.join('requirements', fname)) as f:
        return [
            ln.strip() for ln in f
            if ln.strip() and not ln.startswith(('#', '-'))
        ]


setup(
    name='mmlt',
    version=get_version(),
    description='Long-tailed recognition for the OpenMMLab ecosystem',
    long_description=readme(),
    long_description_content_type='text/markdown',
    packages=find_packages(exclude=('tests', 'tests.*', 'configs', 'tools')),
    include_package_data=True,
    python_requires='>=3.9',
    license='Apache License 2.0',
    install_requires=parse_requirements('runtime.txt'),
    extras_require={
        # As OpenMMLab packages do, mmcv/mmengine/mmpretrain are not hard
        # requirements (mmcv must be built with ops; see tools/install.sh).
        'mim':
        parse_requirements('mminstall.txt'),
        'det':
        parse_requirements('det.txt'),
        'tests':
        parse_requirements('tests.txt'),
        # timm: MetaFG's official-code check; pot: P2OT solver comparisons
        'optional':
        parse_requirements('optional.txt'),
        'all':
        parse_requirements('mminstall.txt') + parse_requirements('det.txt') +
        parse_requirements('tests.txt'),
    },
    zip_safe=False)
