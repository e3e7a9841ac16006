"""The Streamlit page's views: a thin UI over `mnist_core` (all the work happens there)."""
