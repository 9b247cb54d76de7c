import { Directive, Field, ID, ObjectType } from 'type-graphql';

/** A customer, owned by the Customer subgraph; this subgraph only references it by id. */
@Directive('@key(fields: "id", resolvable: false)')
@ObjectType()
export class Customer {
  @Field(() => ID)
  id!: string;
}

/** A picking wave, owned by the Waving subgraph; referenced by id. */
@Directive('@key(fields: "id", resolvable: false)')
@ObjectType()
export class Wave {
  @Field(() => ID)
  id!: string;
}
