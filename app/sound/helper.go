package sound

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ebitengine/oto/v3"
)

// helperEnv, set to "1", makes this executable run as the sound helper
// instead of the desk (see init).
const helperEnv = "STUDIODESK_SOUND_HELPER"

// readyTimeout is how long opening the output waits for the audio driver.
const readyTimeout = 3 * time.Second

// maxCueBytes bounds one PCM frame on the helper pipe (a minute of audio).
const maxCueBytes = 60 * SampleRate * bytesPerFrame

func init() {
	if os.Getenv(helperEnv) == "1" {
		os.Exit(runHelper(os.Stdin, os.Stdout, openOtoBackend))
	}
}

// backend is what the helper plays through: an oto context.
type backend interface {
	Play(pcm PCM) // starts pcm and returns at once
	Err() error
}

// openOtoBackend creates the process's one oto context and waits for it.
func openOtoBackend() (backend, error) {
	ctx, ready, err := oto.NewContext(&oto.NewContextOptions{
		SampleRate:      SampleRate,
		ChannelCount:    Channels,
		Format:          oto.FormatSignedInt16LE,
		ApplicationName: "StudioDesk",
	})
	if err != nil {
		return nil, err
	}
	select {
	case <-ready:
	case <-time.After(readyTimeout):
		return nil, fmt.Errorf("audio driver not ready after %v", readyTimeout)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return &otoBackend{ctx: ctx}, nil
}

type otoBackend struct {
	ctx     *oto.Context
	mu      sync.Mutex
	playing []*oto.Player // kept reachable (oto stops a collected player)
}

func (b *otoBackend) Play(pcm PCM) {
	pl := b.ctx.NewPlayer(bytes.NewReader(pcm))
	pl.Play()
	b.mu.Lock()
	keep := b.playing[:0]
	for _, q := range b.playing {
		if q.IsPlaying() {
			keep = append(keep, q)
		}
	}
	b.playing = append(keep, pl)
	b.mu.Unlock()
}

func (b *otoBackend) Err() error { return b.ctx.Err() }

// runHelper is the helper process: it opens the backend, says "ok" (or
// "error: …") on out, then plays each length-prefixed PCM frame read from
// in. When the backend fails it says "error: …" and exits 2; when in ends
// (the desk closed the output or exited) it exits 0.
func runHelper(in io.Reader, out io.Writer, open func() (backend, error)) int {
	b, err := open()
	if err != nil {
		fmt.Fprintf(out, "error: %s\n", oneLine(err))
		return 1
	}
	fmt.Fprintln(out, "ok")
	failed := make(chan error, 1)
	go func() {
		for {
			time.Sleep(healthEvery / 4)
			if err := b.Err(); err != nil {
				failed <- err
				return
			}
		}
	}()
	frames := make(chan PCM)
	go func() {
		defer close(frames)
		r := bufio.NewReader(in)
		var hdr [4]byte
		for {
			if _, err := io.ReadFull(r, hdr[:]); err != nil {
				return
			}
			n := binary.BigEndian.Uint32(hdr[:])
			if n > maxCueBytes {
				return
			}
			pcm := make(PCM, n)
			if _, err := io.ReadFull(r, pcm); err != nil {
				return
			}
			frames <- pcm
		}
	}()
	for {
		select {
		case err := <-failed:
			fmt.Fprintf(out, "error: %s\n", oneLine(err))
			return 2
		case pcm, ok := <-frames:
			if !ok {
				return 0
			}
			b.Play(pcm)
		}
	}
}

func oneLine(err error) string {
	return strings.ReplaceAll(err.Error(), "\n", " ")
}

// osExecCmd is exec.Cmd (named for the test hook).
type osExecCmd = exec.Cmd

// helperCommand builds the helper process: this executable with
// STUDIODESK_SOUND_HELPER=1. Tests replace it.
var helperCommand = func() (*osExecCmd, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("finding this executable: %w", err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), helperEnv+"=1")
	return cmd, nil
}

// openHelper starts a sound helper process and waits for its first word.
func openHelper() (output, error) {
	cmd, err := helperCommand()
	if err != nil {
		return nil, fmt.Errorf("sound helper: %w", err)
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("sound helper: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("sound helper: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("sound helper: %w", err)
	}
	o := &procOutput{cmd: cmd, stdin: stdin, exited: make(chan struct{})}
	lines := bufio.NewScanner(stdout)
	first := make(chan string, 1)
	go func() {
		defer func() {
			o.fail(errors.New("sound helper exited"))
			_ = cmd.Wait()
			close(o.exited)
		}()
		n := 0
		for lines.Scan() {
			l := lines.Text()
			if n++; n == 1 {
				first <- l
				continue
			}
			if msg, ok := strings.CutPrefix(l, "error: "); ok {
				o.fail(errors.New(msg))
			}
		}
		if n == 0 {
			first <- "error: exited before opening the audio output"
		}
	}()
	select {
	case l := <-first:
		if l == "ok" {
			return o, nil
		}
		o.Close()
		return nil, errors.New(strings.TrimPrefix(l, "error: "))
	case <-time.After(readyTimeout + 2*time.Second):
		o.Close()
		return nil, fmt.Errorf("sound helper: no answer after %v", readyTimeout+2*time.Second)
	}
}

// procOutput is an output played by a helper process.
type procOutput struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	exited chan struct{}
	err    atomic.Pointer[error]
	mu     sync.Mutex
	closed bool
}

func (o *procOutput) fail(err error) {
	o.err.CompareAndSwap(nil, &err)
}

func (o *procOutput) Err() error {
	if e := o.err.Load(); e != nil {
		return *e
	}
	return nil
}

func (o *procOutput) Start(pcm PCM) (voice, error) {
	if err := o.Err(); err != nil {
		return nil, err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	var hdr [4]byte
	binary.BigEndian.PutUint32(hdr[:], uint32(len(pcm)))
	if _, err := o.stdin.Write(append(hdr[:], pcm...)); err != nil {
		o.fail(fmt.Errorf("sound helper: %w", err))
		return nil, o.Err()
	}
	return nopVoice{}, nil
}

// Close ends the helper: its input closes, it exits (killed if it does
// not within a second).
func (o *procOutput) Close() {
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return
	}
	o.closed = true
	o.mu.Unlock()
	_ = o.stdin.Close()
	go func() {
		select {
		case <-o.exited:
		case <-time.After(time.Second):
			_ = o.cmd.Process.Kill()
		}
	}()
}

// nopVoice: a cue sent to the helper plays to its end (cues are short and
// queued, never preempted).
type nopVoice struct{}

func (nopVoice) Stop() {}
