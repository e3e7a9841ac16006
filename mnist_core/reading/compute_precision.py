"""Models that compute in bfloat16 answer in float32 where the CPU would only emulate bfloat16.

A model trained with precision `auto` on a CPU with AMX or AVX-512 BF16 (`models/strong.keras`
is one) keeps float32 weights but computes in bfloat16 (Keras' `mixed_bfloat16`). On a CPU
without those instructions (an AVX2-only server, as Community Cloud's may be) TensorFlow falls
back to emulated bfloat16 kernels: 10,000 test images took ~1.8x as long as the same weights in
float32 here (AMD EPYC, AVX2). The float32 twin has the same weights, computes each layer in
float32, and reads the same digits (1,000 random images: every answer the same, probabilities
within 0.002), so prediction and explanation use it there.

Where the CPU does compute bfloat16 (AVX-512 BF16 here), it pays only for batches: one 28x28
image, a stroke's read, took 3.3 ms of CPU in bfloat16 against 1.8 ms in float32 (the model and
the not-a-digit gate in one call, one TensorFlow thread), while 500 images took 155 ms against
205. So a `Predictor` reads a stroke (`Predictor.read`, with the gate) through `in_float32`
everywhere, and keeps `for_this_cpu` for batches (test-set reports, scores).
"""

from mnist_core.cpu import fast_dtype


def for_this_cpu(model):
    """`model` itself, or where it computes in bfloat16 that this CPU emulates, a float32 twin.

    Args:
        model: a built Keras model (Sequential or functional).

    Returns:
        A Keras model giving the same outputs (to bfloat16's rounding): `model` when it computes
        in float32 or the CPU computes bfloat16 natively; else a clone whose layers compute in
        float32, holding the same weights.
    """
    if fast_dtype() != "float32":
        return model
    return in_float32(model)


def in_float32(model):
    """`model` itself when it computes in float32, else its float32 twin (same weights).

    Args:
        model: a built Keras model (Sequential or functional).

    Returns:
        A Keras model computing every layer in float32, giving `model`'s outputs to bfloat16's
        rounding.
    """
    if not _computes_in_bfloat16(model):
        return model
    import keras

    def in_float32(layer):
        return layer.__class__.from_config({**layer.get_config(), "dtype": "float32"})

    twin = keras.models.clone_model(model, clone_function=in_float32)
    twin.set_weights(model.get_weights())
    return twin


def _computes_in_bfloat16(model):
    return any(getattr(getattr(layer, "dtype_policy", None), "compute_dtype", None) == "bfloat16"
               for layer in model.layers)
