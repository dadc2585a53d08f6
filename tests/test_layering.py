"""The package is layered: an import never points up, and nothing cycles.

Bottom to top: ``utils``, ``registry``, ``version`` and ``visualization``;
then ``models``; then ``datasets``, ``engine`` and ``evaluation``; then
``apis``; then ``analysis`` (the code behind the tools, which nothing in
mmcm imports). Checked twice: statically over every import statement (also
those inside functions), and by importing each layer in a fresh
interpreter in which the layers above it cannot be imported.
"""
import ast
import os.path as osp
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import REPO

PACKAGE = Path(REPO) / 'mmcm'
LAYERS = (
    ('utils', 'registry', 'version', 'visualization'),
    ('models', ),
    ('datasets', 'engine', 'evaluation'),
    ('apis', ),
    ('analysis', ),
)
LAYER_OF = {part: level for level, parts in enumerate(LAYERS)
            for part in parts}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix('').parts)
    return '.'.join(parts[:-1] if parts[-1] == '__init__' else parts)


def layer(module: str) -> int:
    """Layer of ``mmcm.<part>...``; the bare package sits at the bottom."""
    parts = module.split('.')
    return LAYER_OF[parts[1]] if len(parts) > 1 else 0


def mmcm_imports(path: Path):
    """``(target module, line, inside a function)`` of every mmcm import."""
    name = module_name(path)
    package = name if path.name == '__init__.py' else name.rpartition('.')[0]
    tree = ast.parse(path.read_text(encoding='utf-8'))
    functions = [n for n in ast.walk(tree)
                 if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    nested = {id(n) for f in functions for n in ast.walk(f)}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ''
            if node.level:
                anchor = package.split('.')[:len(package.split('.')) -
                                              node.level + 1]
                base = '.'.join(anchor + ([base] if base else []))
            targets = [base]
        elif isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            continue
        for target in targets:
            if target == 'mmcm' or target.startswith('mmcm.'):
                yield target, node.lineno, id(node) in nested


def all_modules():
    return sorted(PACKAGE.rglob('*.py'))


def test_every_subpackage_has_a_layer():
    found = {p.relative_to(PACKAGE).parts[0].removesuffix('.py')
             for p in all_modules()} - {'__init__'}
    assert found == set(LAYER_OF)


@pytest.mark.parametrize('path', all_modules(),
                         ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_import_points_up(path):
    here = module_name(path)
    upward = [f'line {line}: {target}'
              for target, line, _ in mmcm_imports(path)
              if layer(target) > layer(here)]
    assert not upward, f'{here} imports a higher layer: {upward}'


def import_graph() -> dict:
    """Module -> the mmcm modules it imports (inside functions too), with
    the packages whose ``__init__`` such an import runs first."""
    modules = {module_name(p) for p in all_modules()}
    graph = {}
    for path in all_modules():
        here = module_name(path)
        targets = set()
        for target, _, _ in mmcm_imports(path):
            parts = target.split('.')
            for end in range(2, len(parts) + 1):
                ancestor = '.'.join(parts[:end])
                if not here.startswith(ancestor + '.'):
                    targets.add(ancestor)
        graph[here] = {t for t in targets if t in modules} - {here}
    return graph


def test_imports_have_no_cycle():
    cycle = find_cycle(import_graph())
    assert cycle is None, ' -> '.join(cycle)


def find_cycle(graph):
    """A list of modules that import each other in a ring, or ``None``."""
    state, stack = {}, []

    def visit(node):
        state[node] = 'open'
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 'open':
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        state[node] = 'done'
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_the_cycle_finder_finds_a_ring():
    assert find_cycle({'a': {'b'}, 'b': {'c'}, 'c': {'a'}}) == [
        'a', 'b', 'c', 'a']
    assert find_cycle({'a': {'b'}, 'b': set()}) is None


BLOCKER = '''
import importlib.abc, sys
BLOCKED = {blocked!r}

class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if any(name == b or name.startswith(b + '.') for b in BLOCKED):
            raise ImportError(f'{{name}} is above the layer under test')
        return None

sys.meta_path.insert(0, Block())
import importlib
for module in {modules!r}:
    importlib.import_module(module)
print('imported', len({modules!r}))
'''


@pytest.mark.parametrize('level', range(len(LAYERS) - 1),
                         ids=lambda level: '+'.join(LAYERS[level]))
def test_each_layer_imports_without_the_layers_above(level):
    blocked = [f'mmcm.{part}' for parts in LAYERS[level + 1:]
               for part in parts]
    modules = [module_name(p) for p in all_modules()
               if layer(module_name(p)) <= level]
    code = BLOCKER.format(blocked=blocked, modules=modules)
    result = subprocess.run([sys.executable, '-W', 'ignore', '-c', code],
                            cwd=osp.dirname(str(PACKAGE)),
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ['imported', str(len(modules))]


def test_import_mmcm_loads_no_layer_and_installs_no_import_hook():
    code = ('import sys; before = list(sys.meta_path); import mmcm; '
            'print(sys.meta_path == before, '
            'sorted(m for m in sys.modules if m.startswith("mmcm.")))')
    out = subprocess.run([sys.executable, '-c', code], check=True,
                         capture_output=True, text=True).stdout.strip()
    assert out == "True ['mmcm.version']"
