#!/usr/bin/env node
/**
 * A real Wechaty puppet service on loopback, for zhuqi's integration tests.
 *
 * PuppetServer (wechaty-puppet-service) serves a PuppetMock (wechaty-puppet-mock) over gRPC on
 * 127.0.0.1 without TLS. A small HTTP control API on 127.0.0.1 lets a test build the mock world
 * (contacts, rooms, room aliases), make a contact say something, and read what the bot sent.
 *
 * Usage: node gateway.js [--port N] [--control-port N] [--state FILE]
 *   --port          gRPC port (env WECHATY_GATEWAY_PORT; 0 or absent = a free port)
 *   --control-port  control API port (env WECHATY_GATEWAY_CONTROL_PORT; 0 or absent = a free port)
 *   --state         JSON file: the world and the sent-message log survive a restart (optional)
 * Token: env WECHATY_PUPPET_SERVICE_TOKEN (default "zhuqi-test-token").
 * The bot: env WECHATY_GATEWAY_BOT_ID / WECHATY_GATEWAY_BOT_NAME.
 *
 * Prints exactly one line to stdout once serving: `READY <grpc_port> <control_port>`.
 *
 * Control API (JSON in, JSON out):
 *   GET    /health                          {loggedIn, botId, botName}
 *   POST   /contacts                        {id, name}                       create or update
 *   POST   /rooms                           {id, topic, memberIds, aliases?}  create or update
 *   POST   /rooms/<id>/members              {contactId, alias?}  add member, emits room-join
 *   DELETE /rooms/<id>/members/<contactId>                       remove, emits room-leave
 *   POST   /rooms/<id>/topic                {topic}              rename, emits room-topic
 *   POST   /say  {from, roomId? | to?, text?, mentionIds?, type?: text|image|file, filename?, timestamp?}
 *                                           -> {messageId}; `to` absent with no roomId = the bot
 *   GET    /sent                            messages the bot sent: [{id, conversationId, roomId,
 *                                           toId, text, mentionIds, at}]
 */
import fs from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import crypto from 'node:crypto'

import * as PUPPET from 'wechaty-puppet'
import { PuppetServer } from 'wechaty-puppet-service'
import { PuppetMock } from 'wechaty-puppet-mock'

const HOST = '127.0.0.1'

function argValue (name) {
  const i = process.argv.indexOf(name)
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : undefined
}

function freePort () {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.unref()
    srv.on('error', reject)
    srv.listen(0, HOST, () => {
      const { port } = srv.address()
      srv.close(() => resolve(port))
    })
  })
}

const token = process.env.WECHATY_PUPPET_SERVICE_TOKEN || 'zhuqi-test-token'
const botId = process.env.WECHATY_GATEWAY_BOT_ID || 'zhuqi-bot'
const botName = process.env.WECHATY_GATEWAY_BOT_NAME || '助企小助手'
const statePath = argValue('--state') || process.env.WECHATY_GATEWAY_STATE || ''

PUPPET.log.level(process.env.WECHATY_LOG || 'warn')

// --- the world, kept as plain JSON so a restart (with --state) restores it -----------------
const world = {
  contacts: {}, // id -> {id, name}
  rooms: {}, // id -> {id, topic, memberIds, aliases: {contactId: alias}}
  sent: [], // what the bot sent
}
if (statePath && fs.existsSync(statePath)) {
  Object.assign(world, JSON.parse(fs.readFileSync(statePath, 'utf8')))
}
function save () {
  if (statePath) {
    fs.writeFileSync(statePath + '.tmp', JSON.stringify(world))
    fs.renameSync(statePath + '.tmp', statePath)
  }
}

const puppet = new PuppetMock()
const mocker = puppet.mocker

// Drop the puppet's cached payload so the next read sees the change.
function dirty (type, id) {
  Promise.resolve()
    .then(() => puppet.dirtyPayload(type, id))
    .catch(() => { /* nothing cached yet */ })
}

function contactPayload (id, name) {
  return {
    id,
    name,
    alias: undefined,
    avatar: '',
    friend: true,
    gender: PUPPET.types.ContactGender.Unknown,
    phone: [],
    type: PUPPET.types.Contact.Individual,
  }
}

function upsertContact ({ id, name }) {
  if (!id || !name) throw new Error('a contact needs id and name')
  world.contacts[id] = { id, name }
  if (mocker.cacheContactPayload.has(id)) {
    mocker.contactPayload(id, contactPayload(id, name))
    dirty(PUPPET.types.Payload.Contact, id)
  } else {
    mocker.createContact(contactPayload(id, name))
  }
}

function roomPayload (room) {
  return {
    id: room.id,
    topic: room.topic,
    memberIdList: [...room.memberIds],
    adminIdList: [],
    ownerId: undefined,
    avatar: '',
  }
}

function upsertRoom ({ id, topic, memberIds = [], aliases = {} }) {
  if (!id || !id.includes('@')) throw new Error('a room id must contain "@", e.g. xxx@chatroom')
  const members = [...new Set([botId, ...memberIds])]
  for (const m of members) {
    if (!world.contacts[m]) throw new Error(`unknown contact ${m}`)
  }
  const room = { id, topic: topic || '', memberIds: members, aliases: { ...aliases } }
  world.rooms[id] = room
  if (mocker.cacheRoomPayload.has(id)) {
    mocker.roomPayload(id, roomPayload(room))
    dirty(PUPPET.types.Payload.Room, id)
  } else {
    mocker.createRoom(roomPayload(room))
  }
  return room
}

function touchRoom (room) {
  mocker.roomPayload(room.id, roomPayload(room))
  dirty(PUPPET.types.Payload.Room, room.id)
  dirty(PUPPET.types.Payload.RoomMember, room.id)
}

// Rebuild the mock from the saved world (after a restart with --state).
upsertContact({ id: botId, name: botName })
for (const c of Object.values(world.contacts)) upsertContact(c)
for (const r of Object.values(world.rooms)) upsertRoom(r)

// Room aliases: the stock mock has none.
puppet.roomMemberRawPayload = async (roomId, contactId) => {
  const contact = world.contacts[contactId]
  if (!contact) throw new Error(`no contact ${contactId}`)
  const alias = world.rooms[roomId]?.aliases?.[contactId]
  return { id: contactId, name: contact.name, avatar: '', roomAlias: alias || '' }
}

// Log the bot in whenever the puppet (re)starts: a client's Start RPC restarts the puppet.
// The mock never emits `ready` by itself; real puppets do after login.
const origOnStart = puppet.onStart.bind(puppet)
puppet.onStart = async () => {
  await origOnStart()
  setImmediate(() => {
    if (!puppet.isLoggedIn) {
      mocker.login(mocker.ContactMock.load(botId))
    }
    setTimeout(() => puppet.emit('ready', { data: 'ready' }), 50)
  })
}

function emitMessage (payload) {
  mocker.MessageMock.create(payload)
  puppet.emit('message', { messageId: payload.id })
}

// Record what the bot sends (the stock mock drops mention ids and returns no id) and echo it
// back as a message event from the bot, as real puppets do.
puppet.messageSendText = async (conversationId, text, mentionIdList = []) => {
  if (!puppet.isLoggedIn) throw new Error('not logged in')
  const id = 'sent-' + crypto.randomUUID()
  const isRoom = conversationId.includes('@')
  if (isRoom ? !world.rooms[conversationId] : !world.contacts[conversationId]) {
    throw new Error(`unknown conversation ${conversationId}`)
  }
  const record = {
    id,
    conversationId,
    roomId: isRoom ? conversationId : null,
    toId: isRoom ? null : conversationId,
    text,
    mentionIds: [...(mentionIdList || [])],
    at: Date.now(),
  }
  world.sent.push(record)
  save()
  const base = { id, talkerId: botId, text, timestamp: record.at, type: PUPPET.types.Message.Text }
  emitMessage(isRoom
    ? { ...base, roomId: conversationId, mentionIdList: record.mentionIds }
    : { ...base, listenerId: conversationId })
  return id
}

const MESSAGE_TYPES = {
  text: PUPPET.types.Message.Text,
  image: PUPPET.types.Message.Image,
  file: PUPPET.types.Message.Attachment,
  audio: PUPPET.types.Message.Audio,
}

function say ({ from, roomId, to, text = '', mentionIds = [], type = 'text', filename, timestamp }) {
  if (!world.contacts[from]) throw new Error(`unknown contact ${from}`)
  if (!(type in MESSAGE_TYPES)) throw new Error(`unknown type ${type}`)
  const id = 'msg-' + crypto.randomUUID()
  const base = {
    id,
    talkerId: from,
    text,
    timestamp: timestamp || Date.now(), // the server's time: every account in a group sees the same
    type: MESSAGE_TYPES[type],
    ...(filename ? { filename } : {}),
  }
  if (roomId) {
    if (!world.rooms[roomId]) throw new Error(`unknown room ${roomId}`)
    emitMessage({ ...base, roomId, mentionIdList: mentionIds })
  } else {
    const listenerId = to || botId
    if (!world.contacts[listenerId]) throw new Error(`unknown contact ${listenerId}`)
    emitMessage({ ...base, listenerId })
  }
  return id
}

// --- control API ------------------------------------------------------------------------------
function readJson (req) {
  return new Promise((resolve, reject) => {
    const chunks = []
    req.on('data', c => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      try {
        resolve(body ? JSON.parse(body) : {})
      } catch (e) {
        reject(e)
      }
    })
    req.on('error', reject)
  })
}

async function handle (req) {
  const url = new URL(req.url, `http://${HOST}`)
  const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent)
  const body = req.method === 'POST' ? await readJson(req) : {}
  const route = `${req.method} /${parts[0] || ''}`

  if (route === 'GET /health') {
    return { loggedIn: puppet.isLoggedIn, botId, botName }
  }
  if (route === 'POST /contacts') {
    upsertContact(body)
    save()
    return world.contacts[body.id]
  }
  if (route === 'POST /rooms' && parts.length === 1) {
    const room = upsertRoom(body)
    save()
    return room
  }
  if (parts[0] === 'rooms' && parts.length >= 3) {
    const room = world.rooms[parts[1]]
    if (!room) throw Object.assign(new Error(`unknown room ${parts[1]}`), { status: 404 })
    if (req.method === 'POST' && parts[2] === 'members') {
      const { contactId, alias } = body
      if (!world.contacts[contactId]) throw new Error(`unknown contact ${contactId}`)
      if (!room.memberIds.includes(contactId)) room.memberIds.push(contactId)
      if (alias) room.aliases[contactId] = alias
      touchRoom(room)
      save()
      puppet.emit('room-join', {
        roomId: room.id,
        inviteeIdList: [contactId],
        inviterId: botId,
        timestamp: Date.now(),
      })
      return room
    }
    if (req.method === 'DELETE' && parts[2] === 'members' && parts[3]) {
      room.memberIds = room.memberIds.filter(m => m !== parts[3])
      delete room.aliases[parts[3]]
      touchRoom(room)
      save()
      puppet.emit('room-leave', {
        roomId: room.id,
        removeeIdList: [parts[3]],
        removerId: botId,
        timestamp: Date.now(),
      })
      return room
    }
    if (req.method === 'POST' && parts[2] === 'topic') {
      const oldTopic = room.topic
      room.topic = String(body.topic || '')
      touchRoom(room)
      save()
      puppet.emit('room-topic', {
        roomId: room.id,
        newTopic: room.topic,
        oldTopic,
        changerId: botId,
        timestamp: Date.now(),
      })
      return room
    }
  }
  if (route === 'POST /say') {
    return { messageId: say(body) }
  }
  if (route === 'GET /sent') {
    return world.sent
  }
  throw Object.assign(new Error(`no route ${req.method} ${url.pathname}`), { status: 404 })
}

function startControl (port) {
  const server = http.createServer((req, res) => {
    handle(req).then(
      result => {
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' })
        res.end(JSON.stringify(result ?? null))
      },
      err => {
        res.writeHead(err.status || 400, { 'content-type': 'application/json; charset=utf-8' })
        res.end(JSON.stringify({ error: String(err.message || err) }))
      },
    )
  })
  return new Promise((resolve, reject) => {
    server.on('error', reject)
    server.listen(port, HOST, () => resolve(server))
  })
}

async function main () {
  const grpcPort = Number(argValue('--port') || process.env.WECHATY_GATEWAY_PORT || 0) || await freePort()
  const controlPort = Number(argValue('--control-port') || process.env.WECHATY_GATEWAY_CONTROL_PORT || 0)

  const server = new PuppetServer({
    puppet,
    token,
    endpoint: `${HOST}:${grpcPort}`,
    tls: { disable: true },
  })
  await server.start()
  const control = await startControl(controlPort)

  const shutdown = async () => {
    control.close()
    try { await server.stop() } catch { /* exiting anyway */ }
    process.exit(0)
  }
  process.on('SIGTERM', shutdown)
  process.on('SIGINT', shutdown)

  process.stdout.write(`READY ${grpcPort} ${control.address().port}\n`)
}

main().catch(err => {
  console.error('gateway failed:', err)
  process.exit(1)
})
