"""Models whose training step is traced before the job that trains them is known.

Tracing a recipe's training step costs ~1-1.5 s of one core at the start of every `fit`, even
after tracing a throwaway model (each model is a new graph). A training process kept ready
(`jobs.spare_worker`) pays it beforehand: it builds each recipe's model for the settings the page
offers first and runs two batches, which traces the step and the validation. When the job comes,
`take` hands that model over in place of the one `train` has just built, seeded, if the two are
the same network compiled the same way (configs compared whole: layers, dtype policies,
optimizer and its learning-rate schedule, loss, metrics, batches per call): it gets the fresh
model's weights and a fresh optimizer state, so the training is the one the fresh model would
have run, number for number. Otherwise the fresh model is used, traced as usual.
"""

import json

WARM_BATCHES = 2
"""Batches a ready model trains on to trace its step (its weights are replaced before use)."""


def _signature(model):
    """Everything the traced step depends on, as one comparable string."""
    return json.dumps([model.get_config(), model.get_compile_config()], sort_keys=True,
                      default=str)


class ReadyModels:
    """At most one traced model per recipe, each handed over once."""

    def __init__(self):
        self._models = {}

    def prepare(self, recipe, steps_per_epoch, epochs, dtype, batches, validation):
        """Builds `recipe`'s model as `train` would for these settings and traces it.

        Args:
            recipe: a `Recipe` without an augmenter.
            steps_per_epoch, epochs, dtype: the settings `recipe.build` is called with.
            batches: a few training batches as `train` makes them (`batches.shuffled_batches`
                with `prepared_mnist`), so the traced step takes what the job will give it.
            validation: a validation batch or two, as `train` makes them (`in_order_batches`).
        """
        import keras

        keras.utils.clear_session()  # the layer names a fresh process gives
        model = recipe.build(steps_per_epoch, epochs, dtype)
        model.fit(batches, epochs=1, validation_data=validation, shuffle=False, verbose=0)
        self._models[recipe.name] = model

    def take(self, recipe_name, fresh):
        """The ready model of `recipe_name` holding `fresh`'s weights, if it is the same network
        compiled the same way; `fresh` itself otherwise. A ready model is handed over once."""
        ready = self._models.pop(recipe_name, None)
        if ready is None or _signature(ready) != _signature(fresh):
            return fresh
        for variable, value in zip(ready.weights, fresh.get_weights(), strict=True):
            variable.assign(value)
        # The optimizer's state as a fresh one starts it (step count, learning rate, moments).
        fresh.optimizer.build(fresh.trainable_variables)
        for mine, theirs in zip(ready.optimizer.variables, fresh.optimizer.variables,
                                strict=True):
            mine.assign(theirs)
        return ready

    def __contains__(self, recipe_name):
        return recipe_name in self._models
