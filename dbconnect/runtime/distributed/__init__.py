"""Distributed mode (``dbconnect distributed``): workers that share a Kafka group.

- ``connect_protocol``, ``assignor``, ``group_member``: membership on Kafka's group coordinator
  and incremental cooperative assignment (KIP-415);
- ``herder``: the DistributedHerder, one tick thread that owns every state change;
- ``request_signing``: the session-key signatures of requests between workers (KIP-507);
- ``peer_client``: the one client a worker calls the other workers with (https, pooled);
- ``generation_status``: statuses stamped with the group generation that wrote them.

docs/design/distributed.md explains the protocol and what is guaranteed.
"""
