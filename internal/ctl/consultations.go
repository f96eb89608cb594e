package ctl

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/services/wire"
)

// consultationsCmd is `portfolioctl consultations …`: the consultations
// (høringer) and their responses.
func (a *app) consultationsCmd() *cobra.Command {
	g := groupCmd("consultations", "Record and show consultations (høringer) and their responses")
	g.AddGroup(&cobra.Group{ID: "cmd", Title: "Commands:"}, &cobra.Group{ID: "query", Title: "Queries:"})
	for _, c := range []*cobra.Command{
		a.openConsultationCmd(), a.inviteCmd(), a.respondCmd(), a.publishResponseCmd(), a.closeConsultationCmd(),
	} {
		c.GroupID = "cmd"
		g.AddCommand(c)
	}
	for _, c := range []*cobra.Command{a.consultationListCmd(), a.consultationShowCmd()} {
		c.GroupID = "query"
		g.AddCommand(c)
	}
	return g
}

// readBodies reads organisation names, one per line; blank lines and
// names already read (compared as the server compares them) are skipped.
// It returns the names and how many lines were blank and duplicate.
func readBodies(r io.Reader) (names []string, blank, dups int, err error) {
	seen := map[string]bool{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(strings.TrimPrefix(sc.Text(), "\ufeff"))
		if line == "" {
			blank++
			continue
		}
		k := domain.OrganisationKey(line)
		if seen[k] {
			dups++
			continue
		}
		seen[k] = true
		names = append(names, line)
	}
	return names, blank, dups, sc.Err()
}

// bodiesFrom reads the names of --file ("-": standard input).
func (a *app) bodiesFrom(path string) ([]string, int, int, error) {
	var r io.Reader = a.stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, 0, 0, usagef("--file: %v", err)
		}
		defer f.Close()
		r = f
	}
	names, blank, dups, err := readBodies(r)
	if err != nil {
		return nil, 0, 0, usagef("--file %s: %v", path, err)
	}
	return names, blank, dups, nil
}

func (a *app) openConsultationCmd() *cobra.Command {
	var (
		b    domain.OpenConsultation
		file string
		o    writeOpts
	)
	cmd := &cobra.Command{
		Use:   "open",
		Short: "Open a consultation: title, description, questions, invited bodies and deadline",
		Long: `Open a consultation (OpenConsultation, POST /v1/commands/OpenConsultation).

Give each question with --question, in order (they are numbered from 1).
Invited bodies come from --invite (repeatable) and --file (one name per line).`,
		Args: cobra.NoArgs,
	}
	f := cmd.Flags()
	f.StringVar(&b.ConsultationID, "id", "", "the consultation's id (default: the server assigns one)")
	f.StringVar(&b.Title, "title", "", "title")
	f.StringVar(&b.Description, "description", "", "description")
	f.StringVar(&b.ArchiveRef, "archive-ref", "", "case number in the archive, e.g. 22/414")
	f.StringVar(&b.DocumentURL, "document-url", "", "where the consultation document is published")
	f.StringArrayVar(&b.Questions, "question", nil, "a question (repeat for each, in order)")
	f.StringArrayVar(&b.InvitedBodies, "invite", nil, "an invited body (repeatable)")
	f.StringVar(&file, "file", "", "invited bodies, one per line (\"-\": standard input)")
	f.StringVar((*string)(&b.Deadline), "deadline", "", "deadline, YYYY-MM-DD")
	f.StringVar((*string)(&b.OpenedDate), "opened", "", "the day it was sent out, YYYY-MM-DD (default: today)")
	required(cmd, "title", "description", "question", "deadline")
	addWriteFlags(cmd, &o)
	cmd.RunE = runE(func(cmd *cobra.Command, _ []string) error {
		if file != "" {
			names, _, _, err := a.bodiesFrom(file)
			if err != nil {
				return err
			}
			b.InvitedBodies = append(b.InvitedBodies, names...)
		}
		data, err := json.Marshal(b)
		if err != nil {
			return err
		}
		return a.send(cmd.Context(), b.CommandName(), data, o)
	})
	return cmd
}

func (a *app) inviteCmd() *cobra.Command {
	var (
		b    domain.InviteToConsultation
		file string
		o    writeOpts
	)
	cmd := &cobra.Command{
		Use:   "invite",
		Short: "Invite bodies to a consultation, from --body or a file with one name per line",
		Long: `Invite bodies (InviteToConsultation, POST /v1/commands/InviteToConsultation).

--file reads one name per line ("-": standard input); blank lines and
duplicates (ignoring case and spaces) are skipped, and the count is reported
on standard error. The server invites only the bodies not invited before.`,
		Args: cobra.NoArgs,
	}
	f := cmd.Flags()
	f.StringVar(&b.ConsultationID, "consultation", "", "the consultation's id")
	f.StringArrayVar(&b.Bodies, "body", nil, "a body to invite (repeatable)")
	f.StringVar(&file, "file", "", "bodies to invite, one per line (\"-\": standard input)")
	required(cmd, "consultation")
	addWriteFlags(cmd, &o)
	cmd.RunE = runE(func(cmd *cobra.Command, _ []string) error {
		if file != "" {
			names, blank, dups, err := a.bodiesFrom(file)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stderr, "%s: %d bodies (%d blank lines and %d duplicates ignored)\n", file, len(names), blank, dups)
			b.Bodies = append(b.Bodies, names...)
		}
		if len(b.Bodies) == 0 {
			return usagef("give --body or --file with at least one name")
		}
		data, err := json.Marshal(b)
		if err != nil {
			return err
		}
		return a.send(cmd.Context(), b.CommandName(), data, o)
	})
	return cmd
}

// answerFlag parses --answer "N=text".
func answerFlag(s string) (domain.Answer, error) {
	n, text, ok := strings.Cut(s, "=")
	q, err := strconv.Atoi(strings.TrimSpace(n))
	if !ok || err != nil || q < 1 {
		return domain.Answer{}, usagef("--answer %q: write the question's number, '=' and the answer, e.g. --answer \"1=Ja\"", s)
	}
	return domain.Answer{Question: q, Text: text}, nil
}

func (a *app) respondCmd() *cobra.Command {
	var (
		b       domain.RegisterConsultationResponse
		answers []string
		o       writeOpts
	)
	cmd := &cobra.Command{
		Use:   "respond",
		Short: "Register an organisation's response (one per organisation; --replaces for a second one)",
		Long: `Register a response (RegisterConsultationResponse).

Each --answer is the question's number, '=' and the answer: --answer "1=Ja".
An organisation has one response: a second one needs --replaces, and
replaces the first (both stay in the history). A response after the
deadline is recorded and marked late.`,
		Args: cobra.NoArgs,
	}
	f := cmd.Flags()
	f.StringVar(&b.ConsultationID, "consultation", "", "the consultation's id")
	f.StringVar(&b.ResponseID, "id", "", "the response's id (default: the server assigns one)")
	f.StringVar(&b.Organisation, "organisation", "", "the responding organisation")
	f.StringVar((*string)(&b.ReceivedDate), "received", "", "the day it was received, YYYY-MM-DD")
	f.StringArrayVar(&answers, "answer", nil, `an answer, "N=text" (repeatable)`)
	f.StringVar(&b.Comments, "comments", "", "other comments")
	f.StringVar(&b.DocumentURL, "document-url", "", "a link to the response as a document")
	f.BoolVar(&b.Replaces, "replaces", false, "replace the organisation's earlier response")
	required(cmd, "consultation", "organisation", "received")
	addWriteFlags(cmd, &o)
	cmd.RunE = runE(func(cmd *cobra.Command, _ []string) error {
		b.Answers = []domain.Answer{}
		for _, s := range answers {
			an, err := answerFlag(s)
			if err != nil {
				return err
			}
			b.Answers = append(b.Answers, an)
		}
		data, err := json.Marshal(b)
		if err != nil {
			return err
		}
		return a.send(cmd.Context(), b.CommandName(), data, o)
	})
	return cmd
}

func (a *app) publishResponseCmd() *cobra.Command {
	var b domain.PublishConsultationResponse
	cmd := a.writeCmd("publish", "Publish a response: everyone may read it from then on", b.CommandName(), func() any { return b })
	cmd.Flags().StringVar(&b.ConsultationID, "consultation", "", "the consultation's id")
	cmd.Flags().StringVar(&b.ResponseID, "response", "", "the response's id")
	required(cmd, "consultation", "response")
	return cmd
}

func (a *app) closeConsultationCmd() *cobra.Command {
	var b domain.CloseConsultation
	cmd := a.writeCmd("close", "Conclude a consultation (ferdig behandlet) with a summary", b.CommandName(), func() any { return b })
	cmd.Flags().StringVar(&b.ConsultationID, "consultation", "", "the consultation's id")
	cmd.Flags().StringVar(&b.Summary, "summary", "", "what came of it")
	cmd.Flags().StringVar(&b.ResultingCaseID, "case", "", "the council case that followed, if any")
	required(cmd, "consultation", "summary")
	return cmd
}

// ---- queries ----

func (a *app) consultationListCmd() *cobra.Command {
	var o queryOpts
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the consultations, newest first, with their status",
		Args:  cobra.NoArgs,
	}
	cmd.RunE = runE(func(cmd *cobra.Command, _ []string) error {
		resp, err := a.get(cmd.Context(), "/v1/consultations", nil, &o)
		if err != nil {
			return err
		}
		return a.print(resp, renderConsultations)
	})
	addQueryFlags(cmd, &o)
	return cmd
}

func (a *app) consultationShowCmd() *cobra.Command {
	var o queryOpts
	cmd := &cobra.Command{
		Use:   "show ID",
		Short: "Show a consultation: questions, invited bodies, responses (-o csv: one row per organisation)",
		Args:  cobra.ExactArgs(1),
	}
	cmd.RunE = runE(func(cmd *cobra.Command, args []string) error {
		resp, err := a.get(cmd.Context(), "/v1/consultations/"+id(args[0]), nil, &o, outTable, outJSON, outCSV)
		if err != nil {
			return err
		}
		return a.print(resp, renderConsultation)
	})
	addQueryFlags(cmd, &o)
	return cmd
}

func renderConsultations(w io.Writer, body []byte) error {
	var v wire.ConsultationList
	if err := json.Unmarshal(body, &v); err != nil {
		return err
	}
	tw := newTable(w)
	header(tw, "ID", "TITLE", "CASE", "OPENED", "DEADLINE", "STATUS", "INVITED", "RESPONSES", "PUBLISHED")
	for _, c := range v.Consultations {
		row(tw, c.ConsultationID, truncate(c.Title, 60), c.ArchiveRef, string(c.OpenedDate), string(c.Deadline), c.Status,
			strconv.Itoa(c.InvitedCount), strconv.Itoa(c.ResponseCount), strconv.Itoa(c.PublishedCount))
	}
	return tw.Flush()
}

func renderConsultation(w io.Writer, body []byte) error {
	var c wire.ConsultationDetail
	if err := json.Unmarshal(body, &c); err != nil {
		return err
	}
	tw := newTable(w)
	row(tw, "Consultation", c.ConsultationID)
	row(tw, "Title", c.Title)
	row(tw, "Case", c.ArchiveRef)
	row(tw, "Opened", string(c.OpenedDate))
	row(tw, "Deadline", string(c.Deadline))
	row(tw, "Status", c.Status)
	row(tw, "Version", u64(c.Version))
	if c.Summary != "" {
		row(tw, "Summary", c.Summary)
	}
	if c.ResultingCaseID != "" {
		row(tw, "Resulting case", c.ResultingCaseID)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nQuestions:")
	for i, q := range c.Questions {
		fmt.Fprintf(w, "  %d. %s\n", i+1, oneLine(q))
	}
	answered := 0
	for _, b := range c.InvitedBodies {
		if b.Responded {
			answered++
		}
	}
	fmt.Fprintf(w, "\nInvited bodies: %d, %d of them responded\n", len(c.InvitedBodies), answered)
	fmt.Fprintln(w, "\nResponses:")
	tw = newTable(w)
	header(tw, "  ID", "ORGANISATION", "RECEIVED", "LATE", "PUBLISHED", "REPLACED BY", "CONTACT", "ANSWERS")
	for _, r := range c.Responses {
		row(tw, "  "+r.ResponseID, r.Organisation, string(r.ReceivedDate), yesNo(r.Late), yesNo(r.Published), r.ReplacedBy,
			r.ContactEmail, strconv.Itoa(len(r.Answers)))
	}
	return tw.Flush()
}
