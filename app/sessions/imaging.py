"""A session's images on the wire: a page of a split's images with what the network makes of them, and the
split's confusion matrix (the page's grid of test images and its confusion table). The numbers are the
engine's (`engine/predictions.py`); this picks the page and shapes the answer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from app import schemas
from app.errors import InvalidInput
from engine.datasets import Dataset
from engine.network import Network
from engine.predictions import predict_split, raw_rows
from engine.training import Trainer

MAX_IMAGES = 500  # images one answer may carry (limit): a page of the grid, not the whole split


@dataclass(frozen=True)
class ImagesRequest:
    split: Literal["train", "test"] = "test"
    offset: int = 0
    limit: int = 60
    mistakes: bool = False
    pixels: bool = True


def image_samples(network: Network, dataset: Dataset, trainer: Trainer, request: ImagesRequest) -> schemas.ImageSamples:
    """`limit` images of the split from `offset` (of its mistakes only, with `mistakes`), their true and predicted
    classes and confidence, and the confusion matrix and accuracy of the whole split."""
    if dataset.image is None:
        raise InvalidInput(
            f"this session's data set ({dataset.name!r}) is not one of images: use digits, or upload a CSV with "
            "image_shape",
        )
    if dataset.class_names is None:
        raise InvalidInput(f"{dataset.name!r} is a regression data set: its images have no classes to predict")
    X, Y = (trainer.X_test, trainer.Y_test) if request.split == "test" else (trainer.X_train, trainer.Y_train)
    result = predict_split(network, X, Y, dataset.n_classes)
    matching = result.mistakes if request.mistakes else np.arange(X.shape[0])
    indices = [int(i) for i in matching[request.offset : request.offset + request.limit]]
    names = dataset.class_names
    return schemas.ImageSamples(
        split=request.split,
        image_shape=list(dataset.image.shape),
        total=int(X.shape[0]),
        matching=int(matching.size),
        offset=request.offset,
        indices=indices,
        pixels=raw_rows(dataset, X[indices]).tolist() if request.pixels else None,
        labels=[names[k] for k in result.labels[indices]],
        predicted=[names[k] for k in result.predicted[indices]],
        confidence=result.confidence[indices].tolist(),
        classes=list(names),
        confusion=result.confusion.tolist(),
        accuracy=result.accuracy,
        pass_index=trainer.pass_index,
    )
