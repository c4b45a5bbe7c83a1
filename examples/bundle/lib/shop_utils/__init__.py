"""Small helpers the shop notebooks share."""


def moving_average(values):
    return sum(values) / len(values) if values else 0.0
