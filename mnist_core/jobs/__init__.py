"""jobs: the server's background trainings, one at a time, each in a child process.

`training_jobs.TrainingJobs` starts a visitor's training in its own process (`process`, running
`worker`) within the deployer's limits (`limits`), and every page reads its snapshot
(`state.JobState`). The child reports as it learns: the batch-by-batch curve (`batch_curve`),
each epoch's answers on a grid of test digits and its first filters (`epoch_snapshot`, drawn by
`epoch_pictures`), and its reading of the visitor's own drawing, sent to it as one line
(`drawing_command`). `scored_training.train_and_score` is a training as the server and the
command line run it: visitors' drawings mixed in, the model scored. Neither it nor `worker` (a
child's entry point) is imported here, and nothing here imports Keras: the training process lowers
its priority and takes the folder's lock before it pays for TensorFlow. Depends on everything below
it: the foundation, `reading`, `data`, `training`, `evaluation`, `drawings`.
"""

from mnist_core.jobs.drawing_command import decode_drawing, encode_drawing
from mnist_core.jobs.epoch_pictures import answer_grid, filter_grid
from mnist_core.jobs.limits import TrainLimits
from mnist_core.jobs.state import ACTIVE, JobState
from mnist_core.jobs.training_jobs import TrainingJobs

__all__ = ["ACTIVE", "JobState", "TrainLimits", "TrainingJobs", "answer_grid", "decode_drawing",
           "encode_drawing", "filter_grid"]
