"""Named constants shared by the whole project: image geometry, classes, recipe defaults."""

IMAGE_SIZE = 28
"""Side of an MNIST image, in pixels."""

INPUT_SHAPE = (IMAGE_SIZE, IMAGE_SIZE, 1)
"""What the models take: one grey channel."""

NUM_CLASSES = 10
"""Digits 0..9."""

PIXEL_SCALE = 255.0
"""Raw MNIST grey levels run 0..255; the models see value / PIXEL_SCALE in [0, 1]."""

NUM_TRAIN = 60_000
NUM_TEST = 10_000

# The tutorial's recipe ("L'application de Keras à des exemples concrets").
DEFAULT_EPOCHS = 10
DEFAULT_BATCH_SIZE = 64
DEFAULT_OPTIMIZER = "adam"
DEFAULT_LOSS = "categorical_crossentropy"
DEFAULT_RECIPE = "tutorial"
DEFAULT_SEED = 1234

TUTORIAL_PARAM_COUNT = 225_034
"""Trainable parameters of the tutorial's Sequential CNN."""

NOT_A_DIGIT = 10
"""The label of a drawing that is not a digit at all (a letter, a shape, a scribble): what a
visitor may answer to "What did you draw?", kept apart from the ten digits' labels."""

MOST_DRAWINGS = 200_000
"""The most drawings a deployer may let the store keep (`MNIST_DRAWINGS_MAX_ROWS`' ceiling, ten
times its default), so the most a `drawings export` holds: 157 MB of 28x28 images."""
