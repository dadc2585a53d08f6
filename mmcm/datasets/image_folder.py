"""A folder of images, optionally class-labelled by file-name prefix."""
import os.path as osp
from typing import Dict, List, Optional, Sequence

from mmengine import fileio
from mmengine.dataset import BaseDataset

from mmcm.registry import DATASETS

from .records import RawRecord, SkipCountingMixin

IMAGE_EXTENSIONS = ('jpg', 'jpeg', 'png', 'gif')


def list_images(folder: str,
                backend_args: Optional[dict] = None) -> List[str]:
    """All image files under ``folder``, recursively, in a stable order.

    An image is a file whose extension is one of :data:`IMAGE_EXTENSIONS`
    (any case). The order is that of a walk visiting sorted entries, as the
    official ``_list_image_files_recursively``.
    """
    files = fileio.list_dir_or_file(folder, list_dir=False, list_file=True,
                                    recursive=True, backend_args=backend_args)
    images = [f for f in files
              if f.rsplit('.', 1)[-1].lower() in IMAGE_EXTENSIONS
              and '.' in osp.basename(f)]
    return [fileio.join_path(folder, f, backend_args=backend_args)
            for f in sorted(images, key=lambda f: f.split('/'))]


def class_name_of(path: str) -> str:
    """The class of an image: its file name up to the first ``_``.

    ``n01440764_10026.JPEG`` is of class ``n01440764`` (the official
    convention for ImageNet).
    """
    return osp.basename(path).split('_')[0]


def class_indices(names: Sequence[str]) -> Dict[str, int]:
    """Sorted unique class names mapped to ``0, 1, ...``."""
    return {name: i for i, name in enumerate(sorted(set(names)))}


@DATASETS.register_module()
class ImageFolderDataset(SkipCountingMixin, BaseDataset):
    """Images found recursively under ``data_root`` (ADM's ``load_data``).

    Only paths are listed at start-up; images are read by the pipeline (see
    :class:`~mmcm.datasets.LoadImageRGB`). Each data info holds ``img_path``
    and, when ``class_cond``, ``gt_label``.

    With ``class_cond=True`` the class is the file-name prefix before the
    first ``_``; classes are numbered in sorted order and exposed as
    ``metainfo['classes']``. Passing ``metainfo=dict(classes=[...])`` (or a
    text file with one name a line) fixes the numbering instead, e.g. to keep
    the 1000 ImageNet indices when training on a subset.

    Args:
        data_root: Folder of images (sub-folders are searched too).
        class_cond: Label images by their file-name prefix.
        backend_args: mmengine file backend arguments.
        **kwargs: Passed to :class:`mmengine.dataset.BaseDataset`
            (``pipeline``, ``serialize_data``, ``lazy_init``, ``indices``,
            ``data_prefix`` ...).
    """

    def __init__(self, data_root: str = '', class_cond: bool = False,
                 backend_args: Optional[dict] = None, **kwargs):
        self.class_cond = class_cond
        self.backend_args = backend_args
        self._init_skip_counter()
        super().__init__(data_root=data_root, **kwargs)

    @property
    def image_folder(self) -> str:
        """The folder that is searched: ``data_root/data_prefix.img_path``."""
        return self.data_prefix.get('img_path') or self.data_root

    def load_data_list(self) -> List[dict]:
        folder = self.image_folder
        if not folder or not fileio.isdir(folder, self.backend_args):
            raise FileNotFoundError(f'image folder {folder!r} does not exist')
        paths = list_images(folder, self.backend_args)
        if not paths:
            raise FileNotFoundError(
                f'no images ({", ".join(IMAGE_EXTENSIONS)}) under {folder!r}')
        if not self.class_cond:
            return [dict(img_path=path) for path in paths]
        names = [class_name_of(path) for path in paths]
        mapping = self._class_mapping(names)
        return [dict(img_path=path, gt_label=mapping[name])
                for path, name in zip(paths, names)]

    def raw_record(self, idx: int) -> RawRecord:
        info = self.get_data_info(idx)
        path, folder = info['img_path'], self.image_folder
        key = (path[len(folder):].lstrip('/') if path.startswith(folder)
               else osp.basename(path))
        return RawRecord(key, fileio.get(path, self.backend_args),
                         info.get('gt_label'))

    def _class_mapping(self, names: List[str]) -> Dict[str, int]:
        """Map class names to indices and record ``metainfo['classes']``."""
        given = self._metainfo.get('classes')
        if given is None:
            mapping = class_indices(names)
            self._metainfo['classes'] = tuple(mapping)
            return mapping
        mapping = {name: i for i, name in enumerate(given)}
        unknown = sorted(set(names) - set(mapping))
        if unknown:
            raise ValueError(f'{len(unknown)} file-name classes are not in '
                             f"metainfo['classes'], e.g. {unknown[:5]}")
        return mapping


__all__ = [
    'ImageFolderDataset', 'IMAGE_EXTENSIONS', 'list_images', 'class_name_of',
    'class_indices'
]
