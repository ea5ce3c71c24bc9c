"""Distributed mode: group membership, assignment and the distributed herder."""
