"""Driving a target: the HTTP client (target), batched probes (snapshots), the objects a run
provisions and removes (world, world_wf), and the lanes a lifecycle state machine runs in."""
