"""PyTorch side of ganimate: networks, losses, datasets and trainers (installed as ganimate.training)."""
