/** The chat page: ChatUI's Chat wired to Rasa's REST channel and the intake backend. */
import React, { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import Chat, { Bubble } from '@chatui/core';
import { Composer } from './components/Composer.jsx';
import { Header } from './components/Header.jsx';
import { PhotoUploadCard } from './components/PhotoUploadCard.jsx';
import { RatingCard } from './components/RatingCard.jsx';
import { ReadAloudButton, useChineseVoice } from './components/ReadAloud.jsx';
import { RichText } from './components/RichText.jsx';
import { buildFeedback, photoUploadedMessage, sendFeedback, uploadErrorMessage, uploadPhoto } from './lib/backend.js';
import {
  answerCallback,
  callbackAfter,
  callbackFrom,
  callbackMessages,
  callbackOpen,
  ENDED,
  fetchUpdates,
  handoffFrom,
  lastMessageId,
  loadCallback,
  loadHandoff,
  POLL_MS,
  saveCallback,
  saveHandoff,
  sendToPerson,
  updateMessages,
} from './lib/handoff.js';
import { botMessagesFrom, findApplicationNumber, postToRasa } from './lib/rasa.js';
import {
  clearConversation,
  getSenderId,
  isStale,
  loadCareMode,
  loadDraft,
  loadTranscript,
  saveCareMode,
  saveDraft,
  saveTranscript,
} from './lib/storage.js';

export const GREET_PAYLOAD = '/greet';
const TIME_GAP_MS = 5 * 60 * 1000;
const NETWORK_NOTICE = '抱歉，网络好像不太稳定，暂时没连上咨询服务。';
const IDLE_NOTICE = '您有一段时间没有操作，为保护您的个人信息，之前的对话已清除。';
const IDLE_CHECK_MS = 60 * 1000;

let counter = 0;
/** A unique message id for this page. */
function newId() {
  counter += 1;
  return `m${Date.now().toString(36)}${counter.toString(36)}`;
}

/** Stamp a new message with an id and time; show the time when the last one is a while ago. */
function stamp(message, previous) {
  const now = Date.now();
  const lastAt = previous && previous.createdAt;
  return { ...message, _id: newId(), createdAt: now, hasTime: !lastAt || now - lastAt > TIME_GAP_MS };
}

/** The last application number mentioned by the bot in the transcript, or null. */
function lastApplicationNumber(messages) {
  for (let i = messages.length - 1; i >= 0; i -= 1) {
    const m = messages[i];
    if (m.position !== 'left') continue;
    const found =
      (m.type === 'rating' && m.content.applicationNumber) ||
      (m.type === 'text' && findApplicationNumber(m.content.text));
    if (found) return found;
  }
  return null;
}

/** True while the transcript holds nothing but notices that need no answer (time to greet). */
function isFresh(messages) {
  return messages.every((m) => m.type === 'notice' && !m.content.retry);
}

/** What a screen reader announces for new bot messages: their texts, then the choices offered. */
function announcement(messages) {
  const parts = [];
  for (const m of messages) {
    if (m.type !== 'text') continue;
    if ((m.content.text || '').trim()) parts.push(m.content.text.trim());
    const titles = (m.content.buttons || []).map((b) => b.title);
    if (titles.length) parts.push(`可以点选：${titles.join('、')}`);
  }
  return parts.join('\n');
}

/** The whole chat application; `config` holds rasaUrl and backendUrl, `modeStore` keeps 长辈版 across visits. */
export function App({ config, store = window.sessionStorage, modeStore = store, embedded = false }) {
  const [sender, setSender] = useState(() => getSenderId(store));
  const [messages, setMessages] = useState(() => loadTranscript(store));
  const [typing, setTyping] = useState(0);
  const [elder, setElder] = useState(() => loadCareMode(modeStore));
  const voice = useChineseVoice();
  const [status, setStatus] = useState('');
  const initialDraft = useMemo(() => loadDraft(store), [store, sender]);
  const messagesRef = useRef(messages);
  const senderRef = useRef(sender);
  const queue = useRef(Promise.resolve());
  const focusIds = useRef(new Set());
  const greeted = useRef(false);
  const lastActive = useRef(Date.now());
  const [handoff, setHandoffState] = useState(() => loadHandoff(store));
  const handoffRef = useRef(handoff);
  const callbackRef = useRef(loadCallback(store));
  messagesRef.current = messages;
  senderRef.current = sender;

  /** Start, move on or end (null) the live handoff, keeping it across a reload. */
  const setHandoff = useCallback(
    (next) => {
      handoffRef.current = next;
      saveHandoff(store, next);
      setHandoffState(next);
    },
    [store],
  );

  /** Start or end (null) the callback offer the user's words answer, keeping it across a reload. */
  const setCallback = useCallback(
    (next) => {
      callbackRef.current = next;
      saveCallback(store, next);
    },
    [store],
  );

  useEffect(() => saveTranscript(store, messages), [store, messages]);

  useEffect(() => {
    saveCareMode(modeStore, elder);
    document.documentElement.classList.toggle('elder-mode', elder);
  }, [modeStore, elder]);

  /** Append messages (without ids) to the transcript; returns their new ids. */
  const append = useCallback((items) => {
    const stamped = [];
    let previous = messagesRef.current[messagesRef.current.length - 1];
    for (const item of items) {
      previous = stamp(item, previous);
      stamped.push(previous);
    }
    lastActive.current = Date.now();
    setMessages((prev) => [...prev, ...stamped]);
    return stamped.map((m) => m._id);
  }, []);

  /** Merge `patch` into the content of message `id`. */
  const patch = useCallback((id, contentPatch) => {
    setMessages((prev) => prev.map((m) => (m._id === id ? { ...m, content: { ...m.content, ...contentPatch } } : m)));
  }, []);

  /** Send `payload` to Rasa in order; `userId` is the bubble to mark failed, or null for silent sends. */
  const deliver = useCallback(
    (payload, userId) => {
      queue.current = queue.current.then(async () => {
        setTyping((n) => n + 1);
        setStatus('助手正在输入…');
        try {
          const replies = await postToRasa(config.rasaUrl, sender, payload);
          // An answer that arrives after 「新对话」 belongs to the forgotten conversation.
          if (senderRef.current !== sender) return;
          if (userId) patch(userId, { pending: false, failed: false });
          const bot = botMessagesFrom(replies);
          if (bot.length) append(bot);
          const opened = handoffFrom(replies);
          if (opened) setHandoff(opened);
          const offer = callbackFrom(replies);
          if (offer) setCallback(offer);
          setStatus(announcement(bot));
        } catch {
          if (senderRef.current !== sender) return;
          if (userId) patch(userId, { pending: false, failed: true });
          else append([{ type: 'notice', position: 'center', content: { text: NETWORK_NOTICE, retry: payload } }]);
          setStatus(NETWORK_NOTICE);
        } finally {
          setTyping((n) => n - 1);
        }
      });
      return queue.current;
    },
    [append, patch, setHandoff, setCallback, config.rasaUrl, sender],
  );

  /** While a callback offer is open: the words answer it (consent, number, "不用了"); words that are not for it,
   * or an offer that is gone, go to the assistant. */
  const answerOffer = useCallback(
    (text, userId) => {
      const current = callbackRef.current;
      queue.current = queue.current.then(async () => {
        let answer;
        try {
          answer = await answerCallback(config.backendUrl, current, text);
        } catch (err) {
          if (!(err && err.status === 404)) {
            patch(userId, { pending: false, failed: true });
            return;
          }
          answer = { passthrough: true };
        }
        if (callbackRef.current === current && !callbackOpen(answer)) setCallback(null);
        if (answer.passthrough) {
          deliver(text, userId);
          return;
        }
        patch(userId, { pending: false, failed: false });
        const bot = callbackMessages(answer);
        if (bot.length) {
          append(bot);
          setStatus(announcement(bot));
        }
      });
      return queue.current;
    },
    [append, patch, deliver, setCallback, config.backendUrl],
  );

  /** During a handoff: send the user's words to the person (an ended handoff hands the words to the assistant). */
  const relay = useCallback(
    (text, userId) => {
      const current = handoffRef.current;
      queue.current = queue.current.then(async () => {
        try {
          await sendToPerson(config.backendUrl, current, text);
          patch(userId, { pending: false, failed: false });
        } catch (err) {
          const ended = err && (err.status === 404 || err.status === 409);
          if (!ended) {
            patch(userId, { pending: false, failed: true });
            return;
          }
          if (handoffRef.current === current) setHandoff(null);
          const replies = await postToRasa(config.rasaUrl, sender, text).catch(() => null);
          patch(userId, { pending: false, failed: replies === null });
          const bot = botMessagesFrom(replies);
          if (bot.length) append(bot);
        }
      });
      return queue.current;
    },
    [append, patch, setHandoff, config.backendUrl, config.rasaUrl, sender],
  );

  const handoffId = handoff ? handoff.id : null;
  useEffect(() => {
    if (handoffId === null) return undefined;
    let stopped = false;
    let busy = false;
    const tick = async () => {
      const current = handoffRef.current;
      if (stopped || busy || !current) return;
      busy = true;
      try {
        const updates = await fetchUpdates(config.backendUrl, current);
        if (stopped || handoffRef.current !== current) return;
        const items = updateMessages(updates);
        if (items.length) {
          append(items);
          setStatus(items.map((m) => m.content.text).join('\n'));
        }
        const after = lastMessageId(updates, current.after || 0);
        if (ENDED.includes(updates.status)) {
          const offer = callbackAfter(updates, current);
          if (offer) setCallback(offer);
          setHandoff(null);
        }
        else if (after !== current.after) setHandoff({ ...current, after });
      } catch (err) {
        if (!stopped && err && err.status === 404) setHandoff(null);
      } finally {
        busy = false;
      }
    };
    const timer = setInterval(tick, POLL_MS);
    tick();
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [handoffId, append, setHandoff, setCallback, config.backendUrl]);

  /** Show the user's words (or a button title) and send the payload; `typed` marks words from the composer. */
  const sendText = useCallback(
    (payload, shown = payload, typed = false) => {
      const content = { text: shown, payload, pending: true, typed };
      const [id] = append([{ type: 'text', position: 'right', content }]);
      if (handoffRef.current) return relay(payload, id);
      return callbackRef.current ? answerOffer(payload, id) : deliver(payload, id);
    },
    [append, deliver, relay, answerOffer],
  );

  useEffect(() => {
    if (!greeted.current && isFresh(messagesRef.current)) {
      greeted.current = true;
      deliver(GREET_PAYLOAD, null);
    }
  }, [deliver, sender]);

  /** Retry a failed bubble without adding another. */
  const retryBubble = useCallback(
    (message) => {
      patch(message._id, { failed: false, pending: true });
      const text = message.content.payload || message.content.text;
      if (handoffRef.current) relay(text, message._id);
      else if (callbackRef.current) answerOffer(text, message._id);
      else deliver(text, message._id);
    },
    [patch, deliver, relay, answerOffer],
  );

  /** Retry a silent send (the greeting) from its notice. */
  const retryNotice = useCallback(
    (message) => {
      setMessages((prev) => prev.filter((m) => m._id !== message._id));
      deliver(message.content.retry, null);
    },
    [deliver],
  );

  /** Upload a photo for card `id`, then tell the bot its reference (unless the conversation was forgotten meanwhile). */
  const handleUpload = useCallback(
    async (id, file) => {
      const uploader = senderRef.current;
      patch(id, { state: 'uploading', error: '' });
      setStatus('正在上传照片…');
      try {
        const ref = await uploadPhoto(config.backendUrl, file);
        if (senderRef.current !== uploader) return;
        patch(id, { state: 'done', photoRef: ref });
        setStatus('照片已上传');
        sendText(photoUploadedMessage(ref));
      } catch (err) {
        const text = uploadErrorMessage(err && err.status, err && err.detail);
        patch(id, { state: 'error', error: text });
        setStatus(text);
      }
    },
    [patch, sendText, config.backendUrl],
  );

  /** Send a rating from card `id`. */
  const handleRate = useCallback(
    async (id, { rating, comment }) => {
      const card = messagesRef.current.find((m) => m._id === id);
      const applicationNumber =
        (card && card.content.applicationNumber) || lastApplicationNumber(messagesRef.current);
      patch(id, { state: 'sending', rating, comment, error: '' });
      try {
        await sendFeedback(config.backendUrl, buildFeedback({ rating, comment, senderRef: sender, applicationNumber }));
        patch(id, { state: 'done' });
        setStatus('评价已提交，谢谢您！');
      } catch {
        patch(id, { state: 'error', error: '评价暂时没有提交成功，请稍后再点一次「提交评价」。' });
      }
    },
    [patch, config.backendUrl, sender],
  );

  /** Open a rating card (or focus the one already open). */
  const openRating = useCallback(() => {
    const open = messagesRef.current.find((m) => m.type === 'rating' && m.content.state !== 'done');
    if (open) {
      focusIds.current.add(open._id);
      setMessages((prev) => [...prev.filter((m) => m._id !== open._id), open]);
      return;
    }
    const [id] = append([{ type: 'rating', position: 'left', content: { state: 'open', applicationNumber: null } }]);
    focusIds.current.add(id);
  }, [append]);

  /** Forget the conversation (stored transcript, draft, sender id, queued sends); `notices` open the new one. */
  const forget = useCallback(
    (notices = []) => {
      clearConversation(store);
      setHandoff(null);
      setCallback(null);
      const fresh = notices.map((notice) => stamp(notice, null));
      const next = getSenderId(store);
      greeted.current = false;
      queue.current = Promise.resolve();
      focusIds.current.clear();
      messagesRef.current = fresh;
      senderRef.current = next;
      lastActive.current = Date.now();
      setMessages(fresh);
      setStatus(notices.length ? notices[0].content.text : '');
      setSender(next);
    },
    [store, setHandoff, setCallback],
  );

  /** 「新对话」: after a confirmation, forget this conversation and greet again with a new sender id. */
  const newChat = useCallback(() => {
    if (messagesRef.current.length > 1 && !window.confirm('开始新对话吗？当前的对话记录会被清除。')) return;
    forget();
  }, [forget]);

  useEffect(() => {
    const timer = setInterval(() => {
      const spoke = messagesRef.current.some((m) => m.position === 'right');
      if (spoke && isStale(lastActive.current)) {
        forget([{ type: 'notice', position: 'center', content: { text: IDLE_NOTICE } }]);
      }
    }, IDLE_CHECK_MS);
    return () => clearInterval(timer);
  }, [forget]);

  /** Ask the embedding page (widget.js) to close the panel. */
  const closeEmbedded = useCallback(() => {
    window.parent.postMessage({ type: 'reissue-chat:close' }, '*');
  }, []);

  useEffect(() => {
    if (!embedded) return undefined;
    const onKey = (e) => {
      if (e.key === 'Escape') closeEmbedded();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [embedded, closeEmbedded]);

  /** Render one message's content (ChatUI calls this for each message). */
  const renderMessageContent = useCallback(
    (msg) => {
      const { type, content, position } = msg;
      if (type === 'text') {
        return (
          <div
            className="MsgBlock"
            data-pending={content.pending ? 'true' : undefined}
            data-failed={content.failed ? 'true' : undefined}
          >
            {content.author === 'staff' && <span className="MsgAuthor">工作人员</span>}
            {(content.text || '').trim() && (
              <Bubble>
                <p className="MsgText">
                  <RichText text={content.text} />
                </p>
              </Bubble>
            )}
            {position === 'left' && voice && (content.text || '').trim() && (
              <ReadAloudButton text={content.text} voice={voice} />
            )}
            {position === 'left' && content.buttons && content.buttons.length > 0 && (
              <div className="ReplyButtons" role="group" aria-label="可以直接点选">
                {content.buttons.map((b, i) => (
                  <button key={i} type="button" className="ReplyBtn" onClick={() => sendText(b.payload, b.title)}>
                    {b.title}
                  </button>
                ))}
              </div>
            )}
            {position === 'right' && content.failed && (
              <div className="SendFailed" role="alert">
                <span>没发出去，网络好像不太稳定。</span>
                {content.redacted ? (
                  <span>请重新输入一次。</span>
                ) : (
                  <button type="button" className="LinkBtn" onClick={() => retryBubble(msg)}>
                    重试
                  </button>
                )}
              </div>
            )}
          </div>
        );
      }
      if (type === 'image') {
        return (
          <Bubble type="image">
            <img src={content.src} alt="助手发送的图片" />
          </Bubble>
        );
      }
      if (type === 'photo_upload') {
        return (
          <PhotoUploadCard
            id={msg._id}
            content={content}
            onUpload={(file) => handleUpload(msg._id, file)}
            onError={(text) => patch(msg._id, { state: 'error', error: text })}
          />
        );
      }
      if (type === 'rating') {
        return (
          <RatingCard
            id={msg._id}
            content={content}
            autoFocus={focusIds.current.has(msg._id)}
            onSubmit={(value) => handleRate(msg._id, value)}
          />
        );
      }
      if (type === 'notice') {
        return (
          <div className="Notice" role="alert">
            <span>{content.text}</span>
            {content.retry && (
              <button type="button" className="LinkBtn" onClick={() => retryNotice(msg)}>
                重试
              </button>
            )}
          </div>
        );
      }
      return null;
    },
    [sendText, retryBubble, retryNotice, handleUpload, handleRate, patch, voice],
  );

  return (
    <div className={elder ? 'AppRoot elder-mode' : 'AppRoot'} data-embedded={embedded} data-busy={typing > 0}>
      <Chat
        key={sender}
        elderMode={elder}
        Composer={Composer}
        renderNavbar={() => (
          <Header
            elder={elder}
            embedded={embedded}
            onRate={openRating}
            onToggleElder={() => setElder((v) => !v)}
            onNewChat={newChat}
            onClose={closeEmbedded}
          />
        )}
        messages={messages}
        renderMessageContent={renderMessageContent}
        isTyping={typing > 0}
        text={initialDraft}
        placeholder={handoff ? '请输入，发给工作人员' : '请输入您的问题'}
        inputOptions={{ 'aria-label': '输入您的问题', maxLength: 500, showCount: false }}
        onInputChange={(value) => {
          lastActive.current = Date.now();
          saveDraft(store, value, messagesRef.current);
        }}
        onSend={(kind, value) => {
          const text = String(value || '').trim();
          if (kind !== 'text' || !text) return;
          saveDraft(store, '');
          sendText(text, text, true);
        }}
      />
      <div className="visually-hidden" role="status" aria-live="polite">
        {status}
      </div>
    </div>
  );
}
