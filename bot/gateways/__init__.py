"""Chat gateways: turn platform events into plain messages and send plain replies."""
