"""`python -m mnist_core explain MODEL IMAGE`: what the network sees in one image, as PNG files."""

import json
import sys
from pathlib import Path

from mnist_core.errors import BlankImageError
from mnist_core.cli.options import new_run_folder

PICTURES = ("preprocess.png", "layers.png", "filters.png", "saliency.png")


def add_parser(command):
    """Registers the `explain` subcommand through commands.py's `command(...)`."""
    sub = command("explain", cmd_explain,
                  "Show what the network sees in one image: write the preprocessing steps, every "
                  "layer's output, the first convolution's filters and a saliency map as PNG, "
                  "and print the layer table.")
    sub.add_argument("model", metavar="MODEL", help="a .keras or .h5 model file")
    sub.add_argument("image", metavar="IMAGE", help="an image file (PNG/JPEG, either polarity)")
    sub.add_argument("--out", metavar="DIR", default=None,
                     help="folder for " + ", ".join(PICTURES)
                     + " (default: a new folder under runs/)")
    sub.add_argument("--json", action="store_true",
                     help='print {"digit", "probabilities", "not_a_digit", "not_digit_score", '
                          '"input": 28x28, "saliency": 28x28, "layers": [{"name", "class", '
                          '"output_shape", "params"}]} instead of the table')
    return sub


def layer_table(explainer):
    """The layers as `model.summary()` lists them: name (class), output shape, parameters, total."""
    rows = [(f"{i.name} ({i.class_name})", str((None, *i.output_shape)), f"{i.params:,}")
            for i in explainer.layers]
    heads = ("Layer (type)", "Output Shape", "Param #")
    widths = [max(len(r[i]) for r in [heads, *rows]) for i in range(3)]
    line = lambda r: f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:>{widths[2]}}"  # noqa: E731
    rule = "-" * len(line(heads))
    return "\n".join([line(heads), rule, *map(line, rows), rule,
                      f"Total params: {explainer.total_params:,}"])


def cmd_explain(args):
    """Writes the four pictures of what the model sees in the image; prints the table or JSON."""
    from mnist_core.evaluation import plots
    from mnist_core.explain import pictures as explain_plots
    from mnist_core.explain.explainer import Explainer
    from mnist_core.reading.image_files import blank_file_error, load_image
    from mnist_core.reading.inference import Predictor
    from mnist_core.models_folder import check_room
    from mnist_core.explain.stages import preprocessing_stages
    from mnist_core.untrusted.loader import load_untrusted

    out = Path(args.out or new_run_folder("explain"))
    check_room(out, what=f"The output folder {out}", deployer=False)
    explainer = Explainer(load_untrusted(args.model).model)  # a file named here is untrusted
    try:
        stages = preprocessing_stages(load_image(args.image))
    except BlankImageError:
        raise blank_file_error(args.image) from None
    seen = explainer.explain(stages.centred)
    verdict = Predictor(explainer.model).predict_prepared(seen.image)  # the gate's, as the page
    naive_digit = explainer.explain(stages.naive).digit
    figures = (explain_plots.preprocess_figure(stages, seen.digit, naive_digit),
               explain_plots.layers_figure(explainer, seen),
               explain_plots.filters_figure(explainer.filters),
               explain_plots.saliency_figure(seen))
    for name, figure in zip(PICTURES, figures):
        plots.save_png(figure, out / name)
    if args.json:
        print(json.dumps({
            "digit": seen.digit,
            "probabilities": [round(float(p), 6) for p in seen.probabilities],
            "not_a_digit": verdict.not_a_digit,
            "not_digit_score": round(float(verdict.not_digit_score or 0.0), 6),
            "input": _rounded(seen.image), "saliency": _rounded(seen.saliency),
            "layers": [{"name": i.name, "class": i.class_name, "output_shape": list(i.output_shape),
                        "params": i.params} for i in explainer.layers]}))
        print(f"Wrote {', '.join(PICTURES)} in {out}.", file=sys.stderr)
    else:
        print(layer_table(explainer))
        guess = "Not a digit, best guess" if verdict.not_a_digit else "Predicted digit:"
        print(f"\n{guess} {seen.digit} ({seen.probabilities[seen.digit]:.1%}); "
              f"naive downscale: {naive_digit}. Wrote {', '.join(PICTURES)} in {out}.")


def _rounded(image):
    return [[round(float(v), 4) for v in row] for row in image]
