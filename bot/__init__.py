"""faq-bot: answers OpenMMLab's frequently asked installation and usage questions on GitHub issues."""

__version__ = "0.1.0"
