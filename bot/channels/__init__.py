"""Custom Rasa input channels (WeChat mini-program customer service: `bot.channels.wechat.WeChatInput`)."""
