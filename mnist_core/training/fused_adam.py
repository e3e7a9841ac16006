"""Adam's update of a variable in one TensorFlow kernel instead of about twelve small ones.

Keras 3 writes Adam's update portably, as separate operations (square, subtract, multiply,
divide, three assignments...) per variable: for the tutorial network's 8 variables that is
about a hundred small kernels a step, each paying TensorFlow's executor overhead, ~1 ms of CPU
of a ~15 ms step on a 2-core CPU (bench/README.md, issue 24). TensorFlow's own
`ResourceApplyAdam` computes the very same update in one pass:

    m += (g - m) * (1 - beta_1)
    v += (g * g - v) * (1 - beta_2)
    w -= lr * sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t) * m / (sqrt(v) + epsilon)

which is `keras.optimizers.Adam.update_step` term for term (Keras also puts epsilon outside the
square root). Only the optimizer object's method is replaced: its class, configuration, state
variables and saved form stay Keras' Adam, so a saved model loads anywhere as before.
"""

import types


def fuse_adam_updates(optimizer):
    """Makes `optimizer` apply each update with TensorFlow's fused Adam kernel, where it can.

    Args:
        optimizer: a `keras.optimizers.Adam`, not yet built (before `fit`).

    Returns:
        The same optimizer. Left as it is (Keras' own update) for anything the fused kernel
        does not compute: another optimizer class or backend, AMSGrad, or weight decay.
    """
    import keras

    if (type(optimizer) is not keras.optimizers.Adam or optimizer.amsgrad
            or optimizer.weight_decay or keras.backend.backend() != "tensorflow"):
        return optimizer
    optimizer.update_step = types.MethodType(_fused_update_step, optimizer)
    return optimizer


def _fused_update_step(self, gradient, variable, learning_rate):
    """`Adam.update_step`'s maths in one `ResourceApplyAdam` (see the module's docstring)."""
    import tensorflow as tf

    dtype = variable.dtype
    step = tf.cast(self.iterations + 1, dtype)
    beta_1 = tf.cast(self.beta_1, dtype)
    beta_2 = tf.cast(self.beta_2, dtype)
    index = self._get_variable_index(variable)
    tf.raw_ops.ResourceApplyAdam(
        var=_handle(variable), m=_handle(self._momentums[index]),
        v=_handle(self._velocities[index]),
        beta1_power=tf.pow(beta_1, step), beta2_power=tf.pow(beta_2, step),
        lr=tf.cast(learning_rate, dtype), beta1=beta_1, beta2=beta_2,
        epsilon=tf.cast(self.epsilon, dtype), grad=tf.cast(gradient, dtype), use_locking=False)


def _handle(variable):
    """The TensorFlow resource behind a Keras variable (or a `tf.Variable` itself)."""
    return variable.handle if hasattr(variable, "handle") else variable.value.handle
