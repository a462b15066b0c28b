package overlay

import (
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Keepalive and write limits.
var (
	writeWait  = 5 * time.Second  // one message must be written within this
	pongWait   = 60 * time.Second // a page that stops answering pings is closed
	pingPeriod = 20 * time.Second
)

// conn is one page's WebSocket. Pushes only touch the pending queue under
// mu and wake the writer; the writer goroutine is the only one writing to
// the socket.
type conn struct {
	s     *Server
	ws    *websocket.Conn
	topic string

	mu     sync.Mutex
	config bool       // config message pending
	state  bool       // topic state pending (latest is encoded at write time)
	sent   uint64     // state version last written; only the writer uses it
	lines  []wireLine // pending danmaku lines, a ring of maxPendingLns
	head   int        // index of the oldest pending line
	count  int        // pending lines

	wake      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

func (c *conn) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func (c *conn) markConfig() {
	c.mu.Lock()
	c.config = true
	c.mu.Unlock()
	c.signal()
}

func (c *conn) markState() {
	c.mu.Lock()
	c.state = true
	c.mu.Unlock()
	c.signal()
}

// addLines queues lines and returns how many old ones it dropped.
func (c *conn) addLines(ls []wireLine) int {
	if len(ls) == 0 {
		return 0
	}
	dropped := 0
	c.mu.Lock()
	if c.lines == nil {
		c.lines = make([]wireLine, maxPendingLns)
	}
	if len(ls) > maxPendingLns {
		dropped += len(ls) - maxPendingLns
		ls = ls[len(ls)-maxPendingLns:]
	}
	for _, l := range ls {
		if c.count == maxPendingLns {
			c.head = (c.head + 1) % maxPendingLns
			c.count--
			dropped++
		}
		c.lines[(c.head+c.count)%maxPendingLns] = l
		c.count++
	}
	c.mu.Unlock()
	c.signal()
	return dropped
}

// take empties the queue.
func (c *conn) take() (config, state bool, lines []wireLine) {
	c.mu.Lock()
	defer c.mu.Unlock()
	config, state = c.config, c.state
	c.config, c.state = false, false
	if c.count > 0 {
		lines = make([]wireLine, c.count)
		for i := range lines {
			j := (c.head + i) % maxPendingLns
			lines[i] = c.lines[j]
			c.lines[j] = wireLine{}
		}
		c.head, c.count = 0, 0
	}
	return config, state, lines
}

func (c *conn) close() {
	c.closeOnce.Do(func() {
		close(c.done)
		_ = c.ws.Close() // already failing or shutting down; nothing to add
		c.s.unregister(c)
	})
}

func (s *Server) serveWS(w http.ResponseWriter, r *http.Request) {
	topic := r.URL.Query().Get("topic")
	if _, ok := pages[topic]; !ok {
		http.Error(w, "overlay: unknown topic", http.StatusBadRequest)
		return
	}
	ws, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader has replied with the HTTP error
	}
	c := &conn{s: s, ws: ws, topic: topic, wake: make(chan struct{}, 1), done: make(chan struct{})}
	if !s.register(c) {
		_ = ws.Close() // server is closing
		return
	}
	go c.readLoop()
	go c.writeLoop()
}

// readLoop answers the keepalive; pages send nothing else.
func (c *conn) readLoop() {
	defer c.s.wg.Done()
	defer c.close()
	c.ws.SetReadLimit(512)
	_ = c.ws.SetReadDeadline(time.Now().Add(pongWait))
	c.ws.SetPongHandler(func(string) error {
		return c.ws.SetReadDeadline(time.Now().Add(pongWait))
	})
	for {
		if _, _, err := c.ws.ReadMessage(); err != nil {
			return
		}
	}
}

// writeLoop is the only writer of c.ws.
func (c *conn) writeLoop() {
	defer c.s.wg.Done()
	defer c.close()
	ping := time.NewTicker(pingPeriod)
	defer ping.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-ping.C:
			if err := c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeWait)); err != nil {
				return
			}
		case <-c.wake:
			if err := c.flush(); err != nil {
				return
			}
		}
	}
}

// flush writes what is pending: config, then state, then lines.
func (c *conn) flush() error {
	config, state, lines := c.take()
	if config {
		b, err := c.s.encodeConfig(c.topic)
		if err != nil {
			return err
		}
		if err := c.write(b); err != nil {
			return err
		}
	}
	if state {
		b, v, err := c.s.encodeState(c.topic, c.sent)
		if err != nil {
			return err
		}
		c.sent = v
		if b != nil {
			if err := c.write(b); err != nil {
				return err
			}
		}
	}
	if len(lines) > 0 {
		b, err := c.s.encodeLines(lines)
		if err != nil {
			return err
		}
		if err := c.write(b); err != nil {
			return err
		}
	}
	return nil
}

func (c *conn) write(b []byte) error {
	if err := c.ws.SetWriteDeadline(time.Now().Add(writeWait)); err != nil {
		return err
	}
	return c.ws.WriteMessage(websocket.TextMessage, b)
}
