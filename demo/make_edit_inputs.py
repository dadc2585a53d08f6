"""Write the editing demo inputs under ``demo/resources/digits``.

``digit_{k}.png``: the first validation digit of class ``k`` (scikit-learn's
digits at 16x16, as ``DigitsDataset`` serves them: gray, nearest-neighbour
upsampled). ``stroke_*.png``: coarse gray paintings for stroke-guided
generation.

    python demo/make_edit_inputs.py
"""
import os
import os.path as osp

from PIL import Image, ImageDraw

from mmcm.datasets.digits import _load_digits, digits_to_uint8, split_indices

OUT = osp.join(osp.dirname(osp.abspath(__file__)), 'resources', 'digits')
SIZE = 16


def write_digits(out_dir: str) -> None:
    images, targets = _load_digits()
    val = split_indices(len(images), 'val')
    for label in range(10):
        index = val[targets[val] == label][0]
        pixels = digits_to_uint8(images[index:index + 1], SIZE)[0]
        Image.fromarray(pixels, mode='L').save(
            osp.join(out_dir, f'digit_{label}.png'))


def write_strokes(out_dir: str) -> None:
    """A painted zero (ring) and seven (two bars), light grey on black."""
    paintings = {
        'stroke_0': lambda d: d.ellipse((4, 2, 11, 13), outline=200,
                                        width=2),
        'stroke_7': lambda d: (d.line((3, 3, 12, 3), fill=200, width=2),
                               d.line((12, 3, 6, 13), fill=200, width=2)),
    }
    for name, paint in paintings.items():
        image = Image.new('L', (SIZE, SIZE))
        paint(ImageDraw.Draw(image))
        image.save(osp.join(out_dir, f'{name}.png'))


if __name__ == '__main__':
    os.makedirs(OUT, exist_ok=True)
    write_digits(OUT)
    write_strokes(OUT)
    print(f'wrote the editing inputs to {OUT}')
