"""The uncapacitated p-center at any scale: a relaxation over a few demand points, refined
until its plan serves every point, each restricted problem answered by set-cover decisions
(:mod:`optmodels.siting.center.relaxation`)."""
