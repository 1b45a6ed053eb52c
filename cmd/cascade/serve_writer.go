package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/cascade-billing/cascade/billing"
)

// errNotWriter is why a command is refused by an instance that is not the billing writer.
var errNotWriter = errors.New("this instance is not the billing writer")

// writerLease elects the one instance of a deployment that writes billing: it answers commands
// (accounts, subscriptions, payments, cycles…) and runs the schedulers. Several `cascade serve`
// instances share usage mediation through the raw topic's consumer group, but billing's state
// lives in memory (rebuilt from the ledger's events), so two writers would number invoices from
// two copies of it. The election is a consumer group of its own over a one-partition topic: the
// member holding partition 0 in a generation is the writer for that generation. kafka-go ends a
// generation only after every function it started returned, and the writer's returns only once
// the work it admitted (a cycle, a dunning run, an API command) finished: the role is handed
// over between pieces of work, never in the middle of one. The group's rebalance timeout
// (writerRebalanceTimeout) bounds that wait. A crashed writer is evicted after
// kafka.session_timeout. The assignment is sticky (stickyWriter): a member joining does not
// take the role from the instance holding it.
//
// On election the writer reloads billing from the ledger — what the previous writer wrote —
// before it accepts anything. Instances that are not the writer reload every follow interval,
// so their reads and usage enrichment catch up with the writer's changes.
type writerLease struct {
	log    *slog.Logger
	svc    *billing.Service
	group  *kafkago.ConsumerGroup
	topic  string
	follow time.Duration

	mu        sync.Mutex
	held      context.Context // the current writer generation's context; nil when not the writer
	work      sync.WaitGroup  // admitted writer work in flight; a generation ends after it
	wasWriter atomic.Bool     // held the role in the last generation: claimed at the next join
	decided   chan struct{}   // closed once the first generation said whether this instance writes
	once      sync.Once
	done      chan struct{}

	reloads followerReloads // a follower's reloads: the interval's and those a lookup miss asks for
}

// writerConfig is what the lease needs from the service's configuration.
type writerConfig struct {
	brokers                []string
	topic, group           string
	session, heartbeat     time.Duration
	follow                 time.Duration
	log                    *slog.Logger
	svc                    *billing.Service
	createTopic            func(ctx context.Context) error // makes sure the one-partition topic exists
	decisionWait, backoffs time.Duration
}

// startWriterLease joins the election and returns once this instance knows whether it is the
// writer (or after wait: a slow group start then leaves it a follower until elected).
func startWriterLease(ctx context.Context, c writerConfig) (*writerLease, error) {
	if err := c.createTopic(ctx); err != nil {
		return nil, fmt.Errorf("billing writer election: topic %s: %w", c.topic, err)
	}
	w := &writerLease{log: c.log.With("component", "writer-election"), svc: c.svc, topic: c.topic,
		follow: c.follow, decided: make(chan struct{}), done: make(chan struct{})}
	group, err := kafkago.NewConsumerGroup(kafkago.ConsumerGroupConfig{
		ID: c.group, Brokers: c.brokers, Topics: []string{c.topic},
		GroupBalancers: []kafkago.GroupBalancer{stickyWriter{w}},
		SessionTimeout: c.session, HeartbeatInterval: c.heartbeat, RebalanceTimeout: writerRebalanceTimeout,
		JoinGroupBackoff: c.backoffs, StartOffset: kafkago.FirstOffset,
		Logger:      kafkaLogger(c.log, slog.LevelDebug),
		ErrorLogger: kafkaLogger(c.log, slog.LevelDebug),
	})
	if err != nil {
		return nil, fmt.Errorf("billing writer election: join group %s: %w", c.group, err)
	}
	w.group = group
	go w.run(ctx)
	select {
	case <-w.decided:
	case <-time.After(c.decisionWait):
		w.log.Warn("no answer from the writer election yet; starting as a follower", "waited", c.decisionWait)
	case <-ctx.Done():
	}
	return w, nil
}

// kafkaLogger bridges kafka-go's Printf logger to slog at a fixed level.
func kafkaLogger(l *slog.Logger, level slog.Level) kafkago.Logger {
	return kafkago.LoggerFunc(func(msg string, args ...any) {
		if l.Enabled(context.Background(), level) {
			l.Log(context.Background(), level, fmt.Sprintf(msg, args...))
		}
	})
}

// run takes part in generations until ctx ends or the group is closed.
func (w *writerLease) run(ctx context.Context) {
	defer close(w.done)
	stop := context.AfterFunc(ctx, func() { _ = w.group.Close() })
	defer stop()
	go w.followLoop(ctx)
	for {
		gen, err := w.group.Next(ctx)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, kafkago.ErrGroupClosed) {
				return
			}
			w.log.Warn("writer election generation failed; rejoining", "err", err)
			continue
		}
		elected := false
		for _, a := range gen.Assignments[w.topic] {
			elected = elected || a.ID == 0
		}
		if !elected {
			w.wasWriter.Store(false)
			w.log.Info("following: another instance is the billing writer", "generation", gen.ID)
			w.once.Do(func() { close(w.decided) })
			continue
		}
		gen.Start(func(genCtx context.Context) { w.lead(genCtx, gen.ID) })
	}
}

// lead is one writer generation: reload billing (what the previous writer wrote), take the
// writer role until the generation ends, then give it up.
func (w *writerLease) lead(genCtx context.Context, generation int32) {
	defer w.once.Do(func() { close(w.decided) })
	for attempt := 1; ; attempt++ {
		err := w.svc.Load(genCtx)
		if err == nil {
			break
		}
		if genCtx.Err() != nil {
			return
		}
		w.log.Warn("elected billing writer but reloading billing failed; retrying", "attempt", attempt, "err", err)
		select {
		case <-genCtx.Done():
			return
		case <-time.After(min(time.Duration(attempt)*time.Second, 10*time.Second)):
		}
	}
	w.mu.Lock()
	w.held = genCtx
	w.mu.Unlock()
	w.wasWriter.Store(true)
	w.log.Info("elected billing writer: billing reloaded, commands and schedulers enabled", "generation", generation)
	w.once.Do(func() { close(w.decided) })
	<-genCtx.Done()
	w.mu.Lock()
	w.held = nil // no new work is admitted
	w.mu.Unlock()
	w.work.Wait()
	w.log.Info("billing writer generation ended (the admitted work finished)", "generation", generation)
}

// writerRebalanceTimeout is how long a rebalance of the election waits for the writer to
// finish the work it admitted (the longest cycle) before the group expels it.
const writerRebalanceTimeout = 10 * time.Minute

// stickyWriter assigns the election topic's partitions (the writer role) to the member that
// held it in the previous generation, else to the member with the smallest id: joining
// instances leave a working writer in place.
type stickyWriter struct{ w *writerLease }

func (stickyWriter) ProtocolName() string { return "cascade-writer" }

func (b stickyWriter) UserData() ([]byte, error) {
	if b.w.wasWriter.Load() {
		return []byte("writer"), nil
	}
	return nil, nil
}

func (stickyWriter) AssignGroups(members []kafkago.GroupMember, partitions []kafkago.Partition) kafkago.GroupMemberAssignments {
	out := kafkago.GroupMemberAssignments{}
	pick := ""
	for _, claim := range []bool{true, false} {
		for _, m := range members {
			out[m.ID] = map[string][]int{}
			claims := string(m.UserData) == "writer"
			if claims == claim && (pick == "" || m.ID < pick) {
				pick = m.ID
			}
		}
		if pick != "" {
			break
		}
	}
	for _, p := range partitions {
		out[pick][p.Topic] = append(out[pick][p.Topic], p.ID)
	}
	return out
}

// admit admits one piece of writer work (a cycle, a dunning run, a command) while this
// instance is the writer: the role is not handed over before release is called. Without an
// election (tests of parts alone) this process is the only writer.
func (w *writerLease) admit() (release func(), err error) {
	if w == nil {
		return func() {}, nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.held == nil {
		return func() {}, errNotWriter
	}
	w.work.Add(1)
	return sync.OnceFunc(w.work.Done), nil
}

// isWriter reports whether this instance holds the writer role now.
func (w *writerLease) isWriter() bool {
	if w == nil {
		return true
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.held != nil
}

// close leaves the election (the group then elects another instance at once).
func (w *writerLease) close() {
	if w == nil {
		return
	}
	_ = w.group.Close()
	<-w.done
}

// startWriter joins the billing writer election on the service's Kafka. The embedded broker
// gets the election topic created; a cluster gets it created when missing (one partition, the
// brokers' default replication).
func (m *serveMediation) startWriter(ctx context.Context, s *server) (*writerLease, error) {
	topic := m.cfg.WriterTopic
	create := func(ctx context.Context) error {
		if m.broker != nil {
			return m.broker.CreateTopic(ctx, topic, 1)
		}
		return ensureTopic(ctx, m.brokers, topic)
	}
	return startWriterLease(ctx, writerConfig{brokers: m.brokers, topic: topic, group: m.cfg.Group + ".writer",
		session: m.cfg.SessionTimeout.D(), heartbeat: m.cfg.HeartbeatInterval.D(),
		follow: s.cfg.Billing.FollowInterval.D(), log: s.log, svc: s.svc, createTopic: create,
		decisionWait: 30 * time.Second, backoffs: time.Second})
}

// ensureTopic creates a one-partition topic unless it exists.
func ensureTopic(ctx context.Context, brokers []string, topic string) error {
	if _, err := topicPartitions(ctx, brokers, topic); err == nil {
		return nil
	}
	c := &kafkago.Client{Addr: kafkago.TCP(brokers...), Timeout: 10 * time.Second}
	res, err := c.CreateTopics(ctx, &kafkago.CreateTopicsRequest{
		Topics: []kafkago.TopicConfig{{Topic: topic, NumPartitions: 1, ReplicationFactor: -1}}})
	if err != nil {
		return fmt.Errorf("create topic %s: %w", topic, err)
	}
	if err := res.Errors[topic]; err != nil && !errors.Is(err, kafkago.TopicAlreadyExists) {
		return fmt.Errorf("create topic %s: %w", topic, err)
	}
	return nil
}
