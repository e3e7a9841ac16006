"""The training images as shuffled batches, in a `tf.data` pipeline without autotuning.

Given numpy arrays, Keras builds a `tf.data` pipeline itself, with `AUTOTUNE` parallelism.
Autotuning runs a background thread that sleeps between optimisations for a period that
doubles as the epoch goes on; destroying the iterator at the end of `fit` waited for it: the
tutorial recipe's `fit` returned 0 to 9 s after its last batch, with no CPU used (4 runs of
12, 2-core EPYC, issue 24, bench/README.md). The same pipeline with autotuning off returns at
once (9 of 9). Nothing else changes: every epoch draws a new order of all the images from the
seed, and the last batch holds the remainder, as in `fit` on arrays.
"""

from mnist_core.constants import NUM_CLASSES, PIXEL_SCALE


def no_autotune(dataset):
    """`dataset` with `tf.data` autotuning off (see the module's docstring)."""
    import tensorflow as tf

    options = tf.data.Options()
    options.autotune.enabled = False
    return dataset.with_options(options)


def shuffled_batches(images, labels, batch_size, seed, prepare=None):
    """A `tf.data.Dataset` of `(images, labels)` batches in a new random order each epoch.

    Args:
        images, labels: arrays with the same first dimension.
        batch_size: images per batch; the last batch holds the remainder.
        seed: the order's seed: the same seed gives the same orders.
        prepare: None, or a function of `(images, labels)` tensors of one batch returning the
            batch to train on (`prepared_mnist`), applied after the batch is gathered.
    """
    import tensorflow as tf

    images, labels = tf.constant(images), tf.constant(labels)
    count = int(images.shape[0])
    order = tf.data.Dataset.range(count).shuffle(count, seed=seed, reshuffle_each_iteration=True)
    prepare = prepare or (lambda x, y: (x, y))

    @tf.autograph.experimental.do_not_convert  # plain ops: converting cost ~0.13 s a dataset
    def batch(indices):
        return prepare(tf.gather(images, indices), tf.gather(labels, indices))

    dataset = order.batch(batch_size).map(batch, num_parallel_calls=2)
    return no_autotune(dataset.prefetch(2))


def prepared_mnist(images, labels):
    """One batch of raw MNIST prepared as the tutorial prepares all of it before `fit`.

    uint8 (B, 28, 28) grey levels become float32 (B, 28, 28, 1) grey / 255, and integer labels
    one-hot float32 rows: the very numbers `model.prepare` gives (a float32 division, correctly
    rounded in numpy and TensorFlow alike), made one batch at a time, so that training keeps
    the 47 MB of uint8 images rather than 188 MB of float32 ones and spends no second
    converting them all before the first batch."""
    import tensorflow as tf

    images = tf.cast(tf.expand_dims(images, -1), tf.float32) / PIXEL_SCALE
    return images, tf.one_hot(tf.cast(labels, tf.int32), NUM_CLASSES, dtype=tf.float32)


def in_order_batches(images, labels, batch_size):
    """`(images, labels)` in their order, in batches of `batch_size` (the last holds the
    remainder), without autotuning: the validation data `fit` would otherwise wrap itself."""
    import tensorflow as tf

    dataset = tf.data.Dataset.from_tensor_slices((images, labels)).batch(batch_size)
    return no_autotune(dataset.prefetch(1))
