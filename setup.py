"""Install mmcm: Consistency Models for the OpenMMLab ecosystem."""
import os.path as osp

from setuptools import find_packages, setup


def read_version():
    namespace = {}
    with open(osp.join('mmcm', 'version.py'), encoding='utf-8') as f:
        exec(f.read(), namespace)
    return namespace['__version__']


def read_readme():
    with open('README.md', encoding='utf-8') as f:
        return f.read()


setup(
    name='mmcm',
    version=read_version(),
    description='Consistency Models for the OpenMMLab ecosystem',
    long_description=read_readme(),
    long_description_content_type='text/markdown',
    license='Apache License 2.0',
    packages=find_packages(exclude=('tests', 'tests.*', 'configs', 'tools',
                                    'demo')),
    include_package_data=True,
    python_requires='>=3.8',
    install_requires=[
        'torch>=2.1',
        'numpy<2',
        'mmengine>=0.10.0,<1.0',
        'mmcv>=2.0.0,<2.2.0',
        'mmagic>=1.2.0',
        'lpips>=0.1.4',
        'pillow',
        'pyyaml',
    ],
    extras_require={'tests': ['pytest', 'ruff']},
    zip_safe=False,
)
