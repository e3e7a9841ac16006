"""What a visitor may train on this server: the deployer's limits, read from `settings`.

The page draws its settings within these limits, and `TrainingJobs.start()` checks them again
before anything runs, so a page that was drawn before a deployer changed them cannot slip past.
"""

import dataclasses

from mnist_core import settings
from mnist_core.constants import NUM_TRAIN
from mnist_core.errors import MnistError
from mnist_core.training.recipes import RECIPES


@dataclasses.dataclass(frozen=True)
class TrainLimits:
    """The deployer's limits on one visitor's training.

    Attributes:
        recipes: names of the recipes a visitor may train, in `RECIPES` order (empty: none).
        max_image_epochs: most epochs x training images in one training.
        max_minutes: a training is stopped, and nothing saved, after this many minutes.
        max_trained_models: visitor-trained models kept in the models folder (0: training off).
    """

    recipes: tuple
    max_image_epochs: int
    max_minutes: float
    max_trained_models: int

    @property
    def training_allowed(self):
        return bool(self.recipes) and self.max_trained_models > 0


def current():
    """The limits now in force (settings are read at each call, so a test can change them).

    Raises:
        MnistError: a deployer setting is not usable, or `MNIST_TRAIN_RECIPES` names a recipe
            there is none of (one sentence naming the variable, and the recipes there are).
    """
    return TrainLimits(recipes=allowed_recipes(),
                       max_image_epochs=settings.get("MNIST_MAX_TRAIN_IMAGE_EPOCHS"),
                       max_minutes=settings.get("MNIST_MAX_TRAIN_MINUTES"),
                       max_trained_models=settings.get("MNIST_MAX_TRAINED_MODELS"))


def allowed_recipes():
    """The recipes `MNIST_TRAIN_RECIPES` lets visitors train, in `RECIPES` order.

    Raises:
        MnistError: it names a recipe there is none of (`QUICK`, `../x`): one sentence naming
            the variable, the unknown names and the recipes there are. Said, never dropped: a
            typo would otherwise switch training off in silence.
    """
    named = settings.get("MNIST_TRAIN_RECIPES")
    unknown = list(dict.fromkeys(name for name in named if name not in RECIPES))
    if unknown:
        raise MnistError(f"The environment variable MNIST_TRAIN_RECIPES names "
                         f"{', '.join(repr(name[:40]) for name in unknown)}, which "
                         f"{'is not a recipe' if len(unknown) == 1 else 'are not recipes'}; "
                         f"list some of {', '.join(RECIPES)} (comma-separated), or leave it "
                         "empty to switch training off.")
    return tuple(name for name in RECIPES if name in named)


def check(limits, recipe, epochs, limit):
    """Refuses a training the deployer's limits do not allow.

    Args:
        limits: a `TrainLimits`.
        recipe: the recipe's name.
        epochs: epochs asked for.
        limit: training images asked for (None: all 60,000).

    Raises:
        MnistError: one sentence saying which limit and what is allowed.
    """
    if not limits.training_allowed:
        raise MnistError("Training is switched off on this server; you can still draw and "
                         "upload a model.")
    if recipe not in limits.recipes:
        raise MnistError(f"The recipe {recipe} is not offered on this server; choose "
                         f"{' or '.join(limits.recipes)}.")
    images = NUM_TRAIN if limit is None else limit
    if epochs * images > limits.max_image_epochs:
        raise MnistError(f"{epochs} x {images} training images is more than this server allows "
                         f"({limits.max_image_epochs} epochs x images in all); lower the epochs "
                         "or the training images.")


__all__ = ["TrainLimits", "allowed_recipes", "check", "current"]
