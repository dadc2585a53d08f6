"""The recipe cards of configs/consistency_models/train/README.md hold.

Each card (a ``### `CONFIG` `` subsection of ``## Recipe cards``) lists a
paper-scale training config's hyperparameters next to the value of its
source. For every row and every config the card names, the config's value
(read with the row's ``Config key``) must equal ``Here``, and ``Here`` must
equal ``Source value`` unless ``Difference`` says ``**deviation**`` and why.
The key syntax and the card format are documented in the README section.
"""
import ast
import glob
import inspect
import math
import os.path as osp
import re

import pytest
from mmengine import Config
from mmengine.registry import RUNNERS, Registry

import mmcm.registry
from mmcm.models.training import TrainingBlock

from .conftest import REPO

TRAIN_DIR = osp.join(REPO, 'configs', 'consistency_models', 'train')
README = osp.join(TRAIN_DIR, 'README.md')
COLUMNS = ('Hyperparameter', 'Config key', 'Here', 'Source value', 'Source',
           'Difference')
DEVIATION = re.compile(r'\*\*deviation\*\*\s*:?\s*\S')
NO_KEY = '-'
# Dicts of a config that have no ``type``: the class whose arguments they
# hold (``a.b:arg`` reads its default where the dict has no ``arg``).
UNTYPED = {'model.training': TrainingBlock}


# ----------------------------------------------------------------- parsing
def expand_braces(name):
    """``a-{b,c}-d`` -> ``['a-b-d', 'a-c-d']`` (every brace group)."""
    match = re.search(r'\{([^{}]*)\}', name)
    if not match:
        return [name]
    return [
        expanded for part in match.group(1).split(',')
        for expanded in expand_braces(name[:match.start()] + part.strip() +
                                      name[match.end():])
    ]


def split_row(line):
    """The cells of a Markdown table line (``\\|`` escapes a bar)."""
    cells = re.split(r'(?<!\\)\|', line.strip())
    return [c.strip().replace('\\|', '|') for c in cells[1:-1]]


def parse_cards(text):
    """``[(heading, [config names], [table headers], [rows])]`` of the
    ``## Recipe cards`` section, a row being its list of cells."""
    section = re.search(r'^## Recipe cards[ \t]*\n(.*?)(?=^## |\Z)', text,
                        re.M | re.S)
    if section is None:
        return []  # test_cards_are_well_formed reports it
    cards = []
    for block in re.split(r'^### ', section.group(1), flags=re.M)[1:]:
        heading, _, body = block.partition('\n')
        names = [n for quoted in re.findall(r'`([^`]+)`', heading)
                 for n in expand_braces(quoted)]
        rows, headers = [], []
        for line in body.splitlines():
            if not line.lstrip().startswith('|'):
                continue
            cells = split_row(line)
            if all(re.fullmatch(r':?-+:?', c) for c in cells):
                continue
            if not rows and not headers or tuple(cells) == COLUMNS:
                headers.append(tuple(cells))
                continue
            rows.append(cells)
        cards.append((heading.strip(), names, headers, rows))
    return cards


def parse_value(cell):
    """A cell's value: a Python literal, else the text (backticks off)."""
    text = cell.strip()
    if len(text) > 1 and text[0] == text[-1] == '`' and text.count('`') == 2:
        text = text[1:-1].strip()
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def same(a, b, rel_tol=1e-9):
    """Numbers within ``rel_tol``, sequences elementwise, else ``==``."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=rel_tol, abs_tol=1e-12)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


def row_scope(hyperparameter):
    """``('Teacher', 'lsun-cat')`` for ``Teacher [lsun-cat]``."""
    match = re.fullmatch(r'(.*?)\s*\[([^\[\]]+)\]', hyperparameter)
    if match:
        return match.group(1), match.group(2)
    return hyperparameter, None


# -------------------------------------------------------- config key syntax
def registries():
    """mmcm's registries, those of models and optimisation first (asking a
    registry imports its modules)."""
    first = [mmcm.registry.MODELS, mmcm.registry.CURRICULA,
             mmcm.registry.OPTIMIZERS, mmcm.registry.OPTIM_WRAPPERS,
             mmcm.registry.PARAM_SCHEDULERS, RUNNERS]
    rest = [r for r in vars(mmcm.registry).values()
            if isinstance(r, Registry) and all(r is not f for f in first)]
    return first + rest


def registered_class(type_):
    """The class a config's ``type`` names (a class is returned as is)."""
    if isinstance(type_, type):
        return type_
    for registry in registries():
        cls = registry.get(type_)
        if cls is not None:
            return cls
    raise KeyError(f'no registry knows the type {type_!r}')


def default_argument(cls, arg):
    """The default of ``arg`` in the first ``__init__`` of ``cls``'s MRO
    that declares it."""
    for klass in cls.__mro__:
        init = vars(klass).get('__init__')
        if init is None:
            continue
        try:
            parameters = inspect.signature(init).parameters
        except (TypeError, ValueError):
            continue
        if arg in parameters:
            default = parameters[arg].default
            if default is inspect.Parameter.empty:
                raise KeyError(f'{cls.__name__}({arg}) has no default')
            return default
    raise KeyError(f'{cls.__name__} takes no argument {arg!r}')


def lookup(cfg, path):
    """The value at a dotted ``path`` (integers index lists)."""
    node = cfg
    for part in path.split('.'):
        if isinstance(node, (list, tuple)):
            if not re.fullmatch(r'\d+', part) or int(part) >= len(node):
                raise KeyError(f'{path}: no item {part} in a list of '
                               f'{len(node)}')
            node = node[int(part)]
        elif hasattr(node, 'keys'):
            if part not in node:
                raise KeyError(f'{path}: no key {part!r}')
            node = node[part]
        else:
            raise KeyError(f'{path}: {part!r} of a {type(node).__name__}')
    return node


def gpus_of(name):
    match = re.search(r'_(\d+)xb(\d+)-', name)
    if not match:
        raise KeyError(f'{name} does not say its GPUs ("8xb256")')
    return int(match.group(1))


def resolve(cfg, name, key):
    """The value that ``key`` (README syntax) reads from config ``name``."""
    key = key.strip()
    times_gpus = re.fullmatch(r'(.+?)\s*\*\s*gpus', key)
    if times_gpus:
        return resolve(cfg, name, times_gpus.group(1)) * gpus_of(name)
    if ':' not in key:
        return lookup(cfg, key)
    path, arg = key.rsplit(':', 1)
    if path[:1].isupper():  # Class:arg, a registered class's default
        return default_argument(registered_class(path), arg)
    if path:
        node = lookup(cfg, path)
        if not hasattr(node, 'keys'):
            raise KeyError(f'{path} is a {type(node).__name__}, not a '
                           'dict with a type')
        if arg in node:
            return node[arg]
        if 'type' in node:
            return default_argument(registered_class(node['type']), arg)
        if path in UNTYPED:
            return default_argument(UNTYPED[path], arg)
        raise KeyError(f'{path} has no {arg!r} and no type')
    if arg in cfg:  # ':arg' on the root: an argument of the runner
        return cfg[arg]
    return default_argument(
        registered_class(cfg.get('runner_type', 'Runner')), arg)


# ------------------------------------------------------------------- cards
with open(README, encoding='utf-8') as f:
    CARDS = parse_cards(f.read())
CARDED = {name: (heading, rows) for heading, names, _, rows in CARDS
          for name in names}
_CONFIGS = {}


def load(name):
    if name not in _CONFIGS:
        _CONFIGS[name] = Config.fromfile(osp.join(TRAIN_DIR, name + '.py'))
    return _CONFIGS[name]


def test_cards_are_well_formed():
    assert CARDS, 'README.md has no cards under "## Recipe cards"'
    seen = set()
    for heading, names, headers, rows in CARDS:
        assert names, f'card "### {heading}" names no `config`'
        assert headers and all(h == COLUMNS for h in headers), (
            f'card "### {heading}": table header {headers} is not '
            f'{" | ".join(COLUMNS)}')
        assert rows, f'card "### {heading}" has no table rows'
        for name in names:
            assert name not in seen, f'{name} has two cards'
            seen.add(name)
        for cells in rows:
            assert len(cells) == len(COLUMNS), (
                f'card "### {heading}": row {cells} has {len(cells)} cells, '
                f'not the {len(COLUMNS)} columns {COLUMNS}')
            hyperparameter, scope = row_scope(cells[0])
            assert hyperparameter, f'card "### {heading}": unnamed row'
            for column in (1, 2, 3):
                assert cells[column], (
                    f'card "### {heading}", row {cells[0]!r}: empty '
                    f'{COLUMNS[column]}' +
                    (' (write - for none)' if column == 1 else ''))
            if scope is not None:
                assert any(scope in n for n in names), (
                    f'card "### {heading}", row {cells[0]!r}: [{scope}] '
                    'matches none of its configs')


@pytest.mark.parametrize('name', sorted(CARDED))
def test_card_matches_config_and_source(name):
    heading, rows = CARDED[name]
    path = osp.join(TRAIN_DIR, name + '.py')
    assert osp.isfile(path), f'card "### {heading}": no config {path}'
    cfg = load(name)
    errors = []
    for cells in rows:
        if len(cells) != len(COLUMNS):
            continue  # reported by test_cards_are_well_formed
        row, key, here, source_value, source, difference = cells
        hyperparameter, scope = row_scope(row)
        if scope is not None and scope not in name:
            continue
        where = f'{name}, row {hyperparameter!r}'
        if not source or source == NO_KEY:
            errors.append(f'{where}: empty Source')
        if not source_value:
            errors.append(f'{where}: empty Source value')
        here_value = parse_value(here)
        if key.strip('` ') != NO_KEY:
            try:
                value = resolve(cfg, name, key.strip('` '))
            except KeyError as error:
                errors.append(f'{where}: key {key} does not resolve: '
                              f'{error}')
            else:
                if not same(value, here_value):
                    errors.append(f'{where}: the config has {key} = '
                                  f'{value!r}, the card says Here = {here}')
        deviation = bool(DEVIATION.match(difference))
        if same(here_value, parse_value(source_value)):
            if difference:
                errors.append(
                    f'{where}: Here = Source value = {here}, but Difference '
                    f'says {difference!r}' +
                    (' (a stale deviation)' if deviation else
                     ' (keep it empty; notes go in Source)'))
        elif not deviation:
            errors.append(
                f'{where}: Here = {here} differs from Source value = '
                f'{source_value} and Difference does not start with '
                f'"**deviation**: <reason>" (got {difference!r})')
    assert not errors, '\n'.join(errors)


def paper_scale_configs():
    return sorted(
        osp.splitext(osp.basename(p))[0]
        for p in glob.glob(osp.join(TRAIN_DIR, '*.py'))
        if 'digits' not in osp.basename(p))


def test_every_paper_scale_config_has_a_card():
    configs = paper_scale_configs()
    missing = [c for c in configs if c not in CARDED]
    assert not missing, f'configs without a recipe card: {missing}'


@pytest.mark.parametrize('key, value', [
    ('train_dataloader.batch_size', 256),
    ('train_dataloader.batch_size * gpus', 2048),
    ('train_dataloader.dataset.pipeline.2.prob', 0.5),
    ('optim_wrapper.optimizer:betas', (0.9, 0.999)),
    ('optim_wrapper.optimizer.lr', 8e-6),
    ('optim_wrapper:clip_grad', None),
    (':param_scheduler', None),
    ('model.training.objective:index_sampling', 'uniform'),
    ('model.training.curriculum.target_ema:decay', 0.95),
    ('model.training.teacher.dropout', 0.1),
    ('model.training:init_from', None),
    ('model.parameterisation.sigma_data', 0.5),
    ('LPIPSDistance:resize_to', 224),
])
def test_key_syntax(key, value):
    """The README's key syntax reads what it promises."""
    name = 'cm-cd-l2_adm-unet_8xb256-600k_imagenet-64x64'
    assert same(resolve(load(name), name, key), value)


@pytest.mark.parametrize('key', [
    'model.no_such_key', 'model.network.dropout:x',
    'model.training.objective:nothing', 'model.training:nothing',
    'model.parameterisation:nothing',
    'train_dataloader.dataset.pipeline.9', 'NoSuchClass:x'
])
def test_key_syntax_refuses_what_is_not_there(key):
    name = 'cm-cd-l2_adm-unet_8xb256-600k_imagenet-64x64'
    with pytest.raises(KeyError):
        resolve(load(name), name, key)


def test_value_comparison():
    assert same(8e-6, 0.000008) and same(2048, 2048.0)
    assert same((0.9, 0.999), [0.9, 0.999]) and not same((1, 2), (1, 2, 3))
    assert not same(True, 1) and not same('l2', 'lpips')
    assert parse_value('`(32, 16, 8)`') == (32, 16, 8)
    assert parse_value('ADM UNet') == 'ADM UNet'
    assert parse_value('`None`') is None
    assert expand_braces('a-{b,cat}-c') == ['a-b-c', 'a-cat-c']
    assert expand_braces('{x,y}-{1,2}') == ['x-1', 'x-2', 'y-1', 'y-2']
