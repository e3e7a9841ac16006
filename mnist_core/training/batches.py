"""The training images as shuffled batches, in a `tf.data` pipeline without autotuning.

Given numpy arrays, Keras builds a `tf.data` pipeline itself, with `AUTOTUNE` parallelism.
Autotuning runs a background thread that sleeps between optimisations for a period that
doubles as the epoch goes on; destroying the iterator at the end of `fit` waited for it: the
tutorial recipe's `fit` returned 0 to 9 s after its last batch, with no CPU used (4 runs of
12, 2-core EPYC, issue 24, bench/README.md). The same pipeline with autotuning off returns at
once (9 of 9). Nothing else changes: every epoch draws a new order of all the images from the
seed, and the last batch holds the remainder, as in `fit` on arrays.
"""


def no_autotune(dataset):
    """`dataset` with `tf.data` autotuning off (see the module's docstring)."""
    import tensorflow as tf

    options = tf.data.Options()
    options.autotune.enabled = False
    return dataset.with_options(options)


def shuffled_batches(images, labels, batch_size, seed):
    """A `tf.data.Dataset` of `(images, labels)` batches in a new random order each epoch.

    Args:
        images, labels: arrays with the same first dimension.
        batch_size: images per batch; the last batch holds the remainder.
        seed: the order's seed: the same seed gives the same orders.
    """
    import tensorflow as tf

    images, labels = tf.constant(images), tf.constant(labels)
    count = int(images.shape[0])
    order = tf.data.Dataset.range(count).shuffle(count, seed=seed, reshuffle_each_iteration=True)
    dataset = order.batch(batch_size).map(lambda i: (tf.gather(images, i), tf.gather(labels, i)),
                                          num_parallel_calls=2)
    return no_autotune(dataset.prefetch(2))
