"""Indices to generate: the "dataset" of generative evaluation loops."""
from typing import List, Optional

from mmengine.dataset import BaseDataset

from mmcm.models.labels import balanced_class_labels, draw_class_labels
from mmcm.registry import DATASETS


@DATASETS.register_module()
class GenerationDataset(BaseDataset):
    """``num_samples`` items, each naming one image for the model to draw.

    Item ``i`` is ``dict(inputs=dict(sample_index=i, num_samples=N))`` plus
    ``labels`` for class-conditional models. The model draws sample ``i``'s
    noise from a generator seeded by ``i`` alone (the ``determ-indiv``
    stream), and the labels come from one generator seeded by
    ``label_seed``, so image ``i`` is the same whatever the batch size and
    the number of processes. Use ``DefaultSampler(shuffle=False,
    round_up=False)`` so that no index is generated twice.

    Args:
        num_samples: How many images to generate (50,000 in the paper).
        num_classes: Classes of a class-conditional model; ``None`` for an
            unconditional one.
        label_seed: Seed of the uniformly drawn class labels.
        balanced_labels: Label sample ``i`` with class ``i % num_classes``
            instead: every class equally often, so that scores do not move
            with the class mix of a draw (small data sets).
    """

    def __init__(self, num_samples: int, num_classes: Optional[int] = None,
                 label_seed: int = 0, balanced_labels: bool = False,
                 **kwargs) -> None:
        if num_samples < 1:
            raise ValueError(f'num_samples must be >= 1, got {num_samples}')
        if num_classes is not None and num_classes < 1:
            raise ValueError(f'num_classes must be >= 1, got {num_classes}')
        self.num_samples = num_samples
        self.num_classes = num_classes
        self.label_seed = label_seed
        self.balanced_labels = balanced_labels
        kwargs.setdefault('serialize_data', False)
        super().__init__(**kwargs)

    def load_data_list(self) -> List[dict]:
        labels = None
        if self.num_classes is not None and self.balanced_labels:
            labels = balanced_class_labels(self.num_samples,
                                           self.num_classes).tolist()
        elif self.num_classes is not None:
            labels = draw_class_labels(self.num_samples, self.num_classes,
                                       self.label_seed).tolist()
        items = []
        for index in range(self.num_samples):
            inputs = dict(sample_index=index, num_samples=self.num_samples)
            if labels is not None:
                inputs['labels'] = labels[index]
            items.append(dict(inputs=inputs))
        return items
