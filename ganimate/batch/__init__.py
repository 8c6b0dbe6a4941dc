"""Many jobs from one command (`ganimate batch`, and folder inputs): local worker processes or Ray."""
