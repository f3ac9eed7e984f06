"""What providers tell us after sending: delivery status and replies, polled in batches."""
